using Vfio.Contracts;

namespace Vfio.Tests.Simulation;

/// <summary>The kernel behaviour contract against the simulated kernel over the lab-basic-6.12 capture.</summary>
public sealed class SimulatedKernelBehaviourTests : KernelBehaviourContract
{
    protected override IKernelUnderTestFactory Factory { get; } = new SimulatedKernelUnderTestFactory("lab-basic-6.12");
}
