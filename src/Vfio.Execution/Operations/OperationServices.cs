using Vfio.Execution.Assignment;
using Vfio.Execution.Kernel;
using Vfio.Execution.Sriov;
using Vfio.Execution.State;

namespace Vfio.Execution.Operations;

/// <summary>
/// What an operation works with: the kernel (its writes, and its rooted files for every read), where
/// state is kept and how long to wait, and what sets VF tokens. The CLI builds one per command; a
/// boot unit or a device plugin builds its own.
/// </summary>
public sealed record OperationServices
{
    /// <summary>Writes and module loads; the host is read through <see cref="IKernel.Files"/>.</summary>
    public required IKernel Kernel { get; init; }

    /// <summary>The state directory (journal, lock, VF tokens) and the timeouts.</summary>
    public ExecutionOptions Options { get; init; } = new();

    /// <summary>Sets VF tokens in the kernel; null when nothing can (a captured or simulated tree).</summary>
    public IVfTokenApplier? TokenApplier { get; init; }

    /// <summary>The state directory under the kernel's root.</summary>
    public StateDirectory State => StateDirectory.Of(Kernel, Options);
}
