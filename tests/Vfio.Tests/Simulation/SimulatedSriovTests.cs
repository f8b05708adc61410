using Vfio.Contracts;
using Vfio.Contracts.Sriov;

namespace Vfio.Tests.Simulation;

/// <summary>The SR-IOV contract against the simulated kernel over the captured sriov guest (6.12).</summary>
public sealed class SimulatedSriovTests : SriovContract
{
    protected override IKernelUnderTestFactory Factory { get; } = new SimulatedKernelUnderTestFactory("lab-sriov-6.12");
}
