using Vfio.Contracts;
using Vfio.Contracts.Sriov;

namespace Vfio.RealKernel.Tests.Sriov;

/// <summary>The SR-IOV contract against the live kernel of a sriov lab guest (same tests as the simulation's).</summary>
[Trait("topology", "sriov")]
public sealed class LiveSriovTests : SriovContract
{
    protected override IKernelUnderTestFactory Factory => LiveKernelUnderTest.Factory;

    protected override void RequireKernel() => Guest.Require("sriov");
}
