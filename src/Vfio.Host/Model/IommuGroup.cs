using System.Collections.Immutable;

namespace Vfio.Host.Model;

/// <summary>An IOMMU group: the unit of isolation, and of assignment to userspace.</summary>
public sealed record IommuGroup
{
    public required int Id { get; init; }
    /// <summary>Default domain type from <c>type</c>: DMA, DMA-FQ, identity, blocked, unmanaged.</summary>
    public string? Type { get; init; }
    /// <summary>Members, sorted by address.</summary>
    public ImmutableArray<PciAddress> Devices { get; init; } = [];
    /// <summary>Non-PCI members (platform devices) by name; rare but they count for viability.</summary>
    public ImmutableArray<string> OtherMembers { get; init; } = [];
    public ImmutableArray<ReservedRegion> ReservedRegions { get; init; } = [];
    /// <summary>The VFIO character device of the group when it exists (<c>/dev/vfio/N</c>).</summary>
    public string? VfioNode { get; init; }
}

/// <summary>A line of <c>reserved_regions</c>: <c>0xSTART 0xEND type</c>.</summary>
public readonly record struct ReservedRegion(ulong Start, ulong End, string Type);
