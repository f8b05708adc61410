namespace Vfio.Host.Model;

/// <summary>
/// A device's runtime power management state (<c>power/runtime_status</c>, <c>power/runtime_usage</c>,
/// <c>power/control</c>). vfio-pci takes a usage count while a userspace driver has the device
/// open and drops it at close (vfio_pci_core_enable / _disable); with <c>disable_idle_d3</c> off an
/// idle device reads usage 0 and "suspended", an open one usage 1 and "active" (seen on 6.1 and
/// 6.12 for NVMe VFs). <c>runtime_usage</c> exists only with CONFIG_PM_ADVANCED_DEBUG (Debian has it).
/// </summary>
public sealed record RuntimePm
{
    /// <summary><c>active</c>, <c>suspended</c>, <c>suspending</c>, <c>resuming</c>, <c>error</c>, <c>unsupported</c>.</summary>
    public string? Status { get; init; }
    /// <summary>The usage count; null when the kernel does not show it.</summary>
    public int? Usage { get; init; }
    /// <summary><c>auto</c> (runtime PM allowed) or <c>on</c> (forbidden, which itself holds a usage count).</summary>
    public string? Control { get; init; }
}
