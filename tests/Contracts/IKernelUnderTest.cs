using Vfio.Execution.Kernel;
using Vfio.Execution.Sriov;

namespace Vfio.Contracts;

/// <summary>
/// A kernel the shared contract tests run against: the simulated one over a captured lab tree
/// (unit tests) or the live kernel of a lab guest (real-kernel suite). Both start in the lab's
/// <c>basic</c> topology, or both in the <c>sriov</c> one (docs/lab.md), and both must pass the same tests.
/// Disposing returns the kernel to the state it started in (the live one by undoing bindings;
/// the simulated one by throwing its tree away).
/// </summary>
public interface IKernelUnderTest : IDisposable
{
    /// <summary>Writes and module loads.</summary>
    IKernel Kernel { get; }

    /// <summary>Where state (journal, lock) may be kept for this test: an empty directory, as a host path under Kernel.Files.Root.</summary>
    string StateDirectory { get; }

    /// <summary>
    /// Opens <c>/dev/vfio/N</c> as a userspace driver would and keeps it open until disposed: the
    /// group, a container with the type1 IOMMU, and a device fd for every member on a vfio driver,
    /// each asked for with <paramref name="options"/> after its name (<c>vf_token=UUID</c>).
    /// Throws <see cref="KernelException"/> with the kernel's errno.
    /// </summary>
    IDisposable HoldGroupOpen(int group, string? options = null);

    /// <summary>Sets a PF's VF token in the kernel as vfioctl's token applier would (open the PF through VFIO, VFIO_DEVICE_FEATURE).</summary>
    IVfTokenApplier TokenApplier { get; }
}

/// <summary>Makes a fresh kernel under test for each test.</summary>
public interface IKernelUnderTestFactory
{
    IKernelUnderTest Create();
}
