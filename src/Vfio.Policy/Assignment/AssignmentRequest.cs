using System.Collections.Immutable;

namespace Vfio.Policy.Assignment;

/// <summary>A request to move devices (with their whole groups) to userspace.</summary>
public sealed record AssignmentRequest
{
    public required ImmutableArray<PciAddress> Targets { get; init; }
    public DriverRequest Driver { get; init; } = DriverRequest.Auto;
    /// <summary>Group members to fence with pci-stub instead of handing to userspace.</summary>
    public ImmutableArray<PciAddress> Fence { get; init; } = [];
    /// <summary>Override the safety checks that --force may override.</summary>
    public bool Force { get; init; }
    /// <summary>
    /// vfio's unsafe no-IOMMU mode, asked for by name (<c>--noiommu</c>): on a host without an IOMMU,
    /// each target goes to vfio-pci alone, without any DMA isolation.
    /// </summary>
    public bool NoIommu { get; init; }
}
