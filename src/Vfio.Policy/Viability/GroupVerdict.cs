using System.Collections.Immutable;
using Vfio.Host.Model;

namespace Vfio.Policy.Viability;

/// <summary>Where a group stands with respect to userspace.</summary>
public enum GroupStatus
{
    /// <summary>A member is bound to a kernel driver that owns DMA: VFIO refuses the group.</summary>
    Blocked,
    /// <summary>No member owns DMA for the host, but no member is bound to a vfio driver yet.</summary>
    Viable,
    /// <summary>Viable, and at least one member is bound to a vfio driver: userspace can open it now.</summary>
    Assigned,
}

/// <summary>A member that makes its group non-viable, and what it is bound to.</summary>
public sealed record Blocker(PciAddress Address, string Driver, string Reason);

/// <summary>The verdict on one IOMMU group, with reasons a person can act on.</summary>
public sealed record GroupVerdict
{
    public required IommuGroup Group { get; init; }
    public required GroupStatus Status { get; init; }
    public required ViabilityRules Rules { get; init; }
    /// <summary>True when VFIO would accept the group (<c>VFIO_GROUP_FLAGS_VIABLE</c>).</summary>
    public bool Viable => Status != GroupStatus.Blocked;
    public ImmutableArray<Blocker> Blockers { get; init; } = [];
    /// <summary>Why the group is not viable, one sentence per blocking member, each with the fix.</summary>
    public ImmutableArray<string> Reasons => [.. Blockers.Select(b => b.Reason)];
    /// <summary>Cautions that do not change viability: boot VGA, host use, bridges in the group.</summary>
    public ImmutableArray<string> Notes { get; init; } = [];
    /// <summary>Whether DMA isolation holds for every member (a virtio device may ignore the IOMMU).</summary>
    public Isolation Isolation { get; init; } = Isolation.Real;
    /// <summary>Why the isolation is not real or unknown, one sentence per member, with the fix.</summary>
    public ImmutableArray<string> IsolationReasons { get; init; } = [];
}
