using Vfio.Execution.Kernel;

namespace Vfio.Contracts;

/// <summary>
/// A kernel the shared contract tests run against: the simulated one over a captured lab tree
/// (unit tests) or the live kernel of a lab guest (real-kernel suite). Both start in the lab's
/// <c>basic</c> topology (docs/lab.md) and both must pass the same tests.
/// Disposing returns the kernel to the state it started in (the live one by undoing bindings;
/// the simulated one by throwing its tree away).
/// </summary>
public interface IKernelUnderTest : IDisposable
{
    /// <summary>Writes and module loads.</summary>
    IKernel Kernel { get; }

    /// <summary>Where state (journal, lock) may be kept for this test: an empty directory, as a host path under Kernel.Files.Root.</summary>
    string StateDirectory { get; }

    /// <summary>Opens <c>/dev/vfio/N</c> as a userspace driver would and keeps it open until disposed.</summary>
    IDisposable HoldGroupOpen(int group);
}

/// <summary>Makes a fresh kernel under test for each test.</summary>
public interface IKernelUnderTestFactory
{
    IKernelUnderTest Create();
}
