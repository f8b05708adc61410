namespace Vfio.Execution.Assignment;

/// <summary>Where execution keeps its state and how long it waits.</summary>
public sealed record ExecutionOptions
{
    /// <summary>The state directory as a host path (journal, lock, VF tokens), resolved under the kernel's root.</summary>
    public string StateDirectory { get; init; } = "/var/lib/vfioctl";
    /// <summary>How long one sysfs write may block before vfioctl reports and stops.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// How long a write to <c>sriov_numvfs</c> may take: creating or removing many VFs takes
    /// seconds (64 NVMe VFs: about 2 s in a lab guest), and removing one a process holds open
    /// never finishes until it is closed.
    /// </summary>
    public TimeSpan SriovTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
