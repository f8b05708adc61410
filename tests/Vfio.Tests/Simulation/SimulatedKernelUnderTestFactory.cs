using Vfio.Contracts;

namespace Vfio.Tests.Simulation;

/// <summary>A fresh simulated kernel over its own unpack of <paramref name="fixture"/> for every test.</summary>
public sealed class SimulatedKernelUnderTestFactory(string fixture = "lab-basic-6.12") : IKernelUnderTestFactory
{
    public IKernelUnderTest Create() => new SimulatedKernelUnderTest(fixture);
}
