using Vfio.Contracts;
using Vfio.Contracts.Assignment;

namespace Vfio.RealKernel.Tests;

/// <summary>The assignment contract against the live kernel of a basic lab guest (same tests as the simulation's).</summary>
[Trait("topology", "basic")]
public sealed class LiveAssignmentTests : AssignmentContract
{
    protected override IKernelUnderTestFactory Factory => LiveKernelUnderTest.Factory;

    protected override void RequireKernel() => Guest.Require("basic");
}
