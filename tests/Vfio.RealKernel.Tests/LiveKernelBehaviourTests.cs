using Vfio.Contracts;

namespace Vfio.RealKernel.Tests;

/// <summary>
/// The kernel behaviour contract against the live kernel of a basic lab guest (6.12 and 6.1 in
/// scripts/lab-test). The class trait is what the -trait filter sees on the inherited tests.
/// </summary>
[Trait("topology", "basic")]
public sealed class LiveKernelBehaviourTests : KernelBehaviourContract
{
    protected override IKernelUnderTestFactory Factory => LiveKernelUnderTest.Factory;

    protected override void RequireKernel() => Guest.Require("basic");
}
