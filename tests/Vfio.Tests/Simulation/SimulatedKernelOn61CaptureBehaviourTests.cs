using Vfio.Contracts;

namespace Vfio.Tests.Simulation;

/// <summary>
/// The kernel behaviour contract against the simulated kernel over the lab-basic-6.1 capture: the
/// real 6.1 passes the same contract, so the simulation must handle that tree as well.
/// </summary>
public sealed class SimulatedKernelOn61CaptureBehaviourTests : KernelBehaviourContract
{
    protected override IKernelUnderTestFactory Factory { get; } = new SimulatedKernelUnderTestFactory("lab-basic-6.1");
}
