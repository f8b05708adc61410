using System.Collections.Immutable;

namespace Vfio.Host.Model;

/// <summary>Something of the host that lives on a PCI device and shows it is in use.</summary>
public abstract record DeviceHolder
{
    /// <summary>Kernel name: <c>nvme0n1</c>, <c>eth0</c>, <c>card0</c>.</summary>
    public required string Name { get; init; }

    /// <summary>True when taking the device away would break something of the host's now.</summary>
    public abstract bool InUse { get; }

    /// <summary>One line for humans: what it is and why it matters.</summary>
    public abstract string Describe();

    /// <summary>What the user does so that the host lets go of it (for refusals).</summary>
    public abstract string Hint { get; }

    /// <summary>"pid 4242 (Xorg), pid 77 (nvtop)".</summary>
    protected static string Named(ImmutableArray<ProcessRef> processes) => string.Join(", ", processes.Select(p => p.ToString()));
}

/// <summary>A block device (or partition) on the PCI device.</summary>
public sealed record BlockHolder : DeviceHolder
{
    /// <summary>Mount points of this block device (or its partitions), from mountinfo.</summary>
    public ImmutableArray<string> MountPoints { get; init; } = [];
    public bool Swap { get; init; }
    /// <summary>Stacked devices that hold it (<c>holders/</c>: dm-0, md0).</summary>
    public ImmutableArray<string> HeldBy { get; init; } = [];
    /// <summary>Partitions of this disk that are themselves in use, described.</summary>
    public ImmutableArray<string> Partitions { get; init; } = [];

    public override bool InUse => MountPoints.Length > 0 || Swap || HeldBy.Length > 0;

    public override string Describe()
    {
        var parts = new List<string>();
        if (MountPoints.Length > 0) parts.Add("mounted at " + string.Join(", ", MountPoints));
        if (Swap) parts.Add("used as swap");
        if (HeldBy.Length > 0) parts.Add("held by " + string.Join(", ", HeldBy));
        return $"block device {Name}" + (parts.Count > 0 ? ": " + string.Join("; ", parts) : " (not in use)");
    }

    public override string Hint => "Stop using it first: unmount it, swapoff, or stop what holds it";
}

/// <summary>A network interface on the PCI device.</summary>
public sealed record NetHolder : DeviceHolder
{
    /// <summary><c>operstate</c>: up, down, dormant, unknown...</summary>
    public string? OperState { get; init; }
    /// <summary>Global and site addresses (link-local ones are not a sign of use).</summary>
    public ImmutableArray<string> Addresses { get; init; } = [];
    public int Routes { get; init; }

    public bool IsUp => OperState is "up" or "unknown" or "dormant";

    public override bool InUse => IsUp && (Addresses.Length > 0 || Routes > 0);

    public override string Describe()
    {
        var s = $"network interface {Name} ({OperState ?? "state unknown"})";
        if (Addresses.Length > 0) s += ", addresses " + string.Join(", ", Addresses);
        if (Routes > 0) s += $", {Routes} route(s)";
        return s;
    }

    public override string Hint => $"Take the interface down first (ip link set {Name} down) and move its addresses and routes elsewhere";
}

/// <summary>
/// A DRM card: a GPU or display device with a kernel graphics driver. It is in use when a process
/// holds one of its nodes (<c>/dev/dri/cardN</c>, <c>renderDN</c>) open, or when the kernel's
/// framebuffer console is on it; an idle card (a second GPU meant for a VM) is not.
/// </summary>
public sealed record DrmHolder : DeviceHolder
{
    /// <summary>Its nodes in <c>/dev/dri</c>: the card and its render node.</summary>
    public ImmutableArray<string> Nodes { get; init; } = [];

    /// <summary>Processes holding one of <see cref="Nodes"/> open.</summary>
    public ImmutableArray<ProcessRef> Processes { get; init; } = [];

    /// <summary>The framebuffer console (fbcon) draws on this device's framebuffer.</summary>
    public string? Console { get; init; }

    public override bool InUse => Processes.Length > 0 || Console is not null;

    public override string Describe()
    {
        var nodes = string.Join(", ", Nodes.Select(n => "/dev/dri/" + n));
        var parts = new List<string>();
        if (Processes.Length > 0) parts.Add($"held open by {Named(Processes)}");
        if (Console is not null) parts.Add(Console);
        return $"DRM card {Name} ({nodes})" + (parts.Count > 0 ? ": " + string.Join("; ", parts) : ", no process holds it");
    }

    public override string Hint => Processes.Length > 0
        ? "Close the processes named (stop the display manager or compositor if it is one of them) first"
        : "Move the console off it first (boot with fbcon=map: pointing at another framebuffer, or unbind the framebuffer console through /sys/class/vtconsole)";
}

/// <summary>
/// A GPU vendor's own device node for this function (<c>/dev/nvidiaN</c>, found through
/// <c>/proc/driver/nvidia/gpus/ADDR/information</c>): in use when a process holds it open
/// (a CUDA program, nvidia-smi, a monitoring agent, nvidia-persistenced).
/// </summary>
public sealed record GpuNodeHolder : DeviceHolder
{
    /// <summary>Processes holding <c>/dev/</c><see cref="DeviceHolder.Name"/> open.</summary>
    public ImmutableArray<ProcessRef> Processes { get; init; } = [];

    public override bool InUse => Processes.Length > 0;

    public override string Describe() =>
        $"GPU node /dev/{Name}" + (Processes.Length > 0 ? $": held open by {Named(Processes)}" : ", no process holds it");

    public override string Hint => "Close the processes named first (for NVIDIA: stop nvidia-persistenced and the programs using CUDA or nvidia-smi)";
}
