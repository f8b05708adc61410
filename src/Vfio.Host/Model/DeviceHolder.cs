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
}

/// <summary>A DRM card (a GPU the host's graphics stack has opened or may).</summary>
public sealed record DrmHolder : DeviceHolder
{
    public override bool InUse => true;
    public override string Describe() => $"DRM card {Name} (the host's graphics driver uses it)";
}
