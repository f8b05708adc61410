namespace Vfio.Lab;

/// <summary>What to run in the lab and how.</summary>
/// <param name="Command">The command and its arguments, run in the guest without a shell.</param>
public sealed record LabRunOptions(IReadOnlyList<string> Command)
{
    /// <summary>The guest machine.</summary>
    public Topology Topology { get; init; } = Topologies.Default;

    /// <summary>The kernel series to boot.</summary>
    public KernelSeries Kernel { get; init; } = KernelSeries.Default;

    /// <summary>Hard limit for the whole run, boot included; QEMU is killed when it passes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(900);

    /// <summary>Limit for the guest to boot and reach the command.</summary>
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Guest memory in MiB.</summary>
    public int MemoryMiB { get; init; } = 2048;

    /// <summary>
    /// QEMU's CPU model (<c>-cpu</c>), or null for QEMU's default (<c>qemu64</c>: no SSSE3 or
    /// SSE4, which no machine with an IOMMU lacks; <c>max</c> emulates every feature TCG has,
    /// SSE4.2 and AVX2 among them). It changes how much of .NET's precompiled code the guest can
    /// use (bench/README.md), not what the kernel does.
    /// </summary>
    public string? CpuModel { get; init; }

    /// <summary>
    /// After the command, open an interactive shell in the guest on the console
    /// instead of powering off (only when <see cref="Interactive"/>; no timeout
    /// applies to the shell).
    /// </summary>
    public bool KeepGoing { get; init; }

    /// <summary>True when stdin and stdout are a terminal the guest shell may use.</summary>
    public bool Interactive { get; init; }

    /// <summary>
    /// Coldplug with Debian's <c>systemd-udevd</c> (the host's, seen through the host-root share)
    /// instead of the lab's own modalias loop: udevd runs as a daemon, <c>udevadm trigger</c> adds
    /// subsystems and devices, <c>udevadm settle</c> waits; udevd keeps running during the command,
    /// and the rules in the guest's <c>/etc/udev/rules.d</c> apply.
    /// </summary>
    public bool Udev { get; init; }

    /// <summary>
    /// Whether the guest has the emulated Intel IOMMU (the default). Without it the guest is a
    /// virtual machine with no IOMMU at all, as most cloud VMs are: no groups, nothing assignable.
    /// </summary>
    public bool Iommu { get; init; } = true;

    /// <summary>
    /// The guest's firmware: SeaBIOS (the default) or OVMF (<see cref="LabFirmware.Uefi"/>), whose
    /// framebuffer on the boot VGA the guest kernel then sees, as on a UEFI host.
    /// </summary>
    public LabFirmware Firmware { get; init; } = LabFirmware.Bios;

    /// <summary>
    /// Extra words for the guest kernel's command line, after the lab's own (for example
    /// <c>modprobe.blacklist=bochs</c>, which the lab's coldplug honours, to keep a display driver
    /// from taking the boot VGA over from the firmware framebuffer). Null or empty: none.
    /// </summary>
    public string? KernelArguments { get; init; }

    /// <summary>
    /// A directory whose contents make the guest persistent from one run to the next, or null for a
    /// throw-away guest: <c>root.ext4</c> (created when absent) carries the upper layer of the root
    /// overlay, and the topology's disk images are kept there and reused.
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>The working directory of the command in the guest (the host path; the guest sees the host's root).</summary>
    public string WorkingDirectory { get; init; } = Environment.CurrentDirectory;
}
