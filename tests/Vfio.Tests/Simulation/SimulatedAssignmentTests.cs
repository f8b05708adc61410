using Vfio.Contracts;
using Vfio.Contracts.Assignment;

namespace Vfio.Tests.Simulation;

/// <summary>The assignment contract against the simulated kernel over the captured basic guest.</summary>
public sealed class SimulatedAssignmentTests : AssignmentContract
{
    protected override IKernelUnderTestFactory Factory { get; } = new SimulatedKernelUnderTestFactory("lab-basic-6.12");
}
