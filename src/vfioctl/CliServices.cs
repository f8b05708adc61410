using Vfio.Execution.Kernel;
using Vfio.Execution.Sriov;
using Vfio.Host.Sysfs;

namespace Vfioctl;

/// <summary>
/// What the writing commands act through, given to <see cref="Cli.Run"/>: the kernel behind a
/// <c>--root</c> directory and what sets VF tokens there. <see cref="Real"/> is the host's; tests
/// pass a simulated kernel and applier.
/// </summary>
internal sealed record CliServices
{
    /// <summary>The kernel whose files are under the given directory (the unpacked tree for a snapshot).</summary>
    public required Func<string, IKernel> Kernel { get; init; }

    /// <summary>
    /// Sets VF tokens for the given <c>--root</c>; null when nothing can. On the live host vfioctl
    /// opens the PF through the VFIO library (<see cref="VfioTokenApplier"/>); under a directory
    /// root (a captured or simulated tree) there is no kernel to tell, so <c>sriov token</c> stores
    /// the token and says the kernel was not changed.
    /// </summary>
    public required Func<string, IVfTokenApplier?> TokenApplier { get; init; }

    public static CliServices Real { get; } = new()
    {
        Kernel = dir => new SysfsKernel(new HostFiles(dir)),
        TokenApplier = root => Path.GetFullPath(root) == "/" ? new VfioTokenApplier() : null,
    };
}
