namespace Vfio.Execution.Sriov;

/// <summary>A VF as it stands after an SR-IOV change: its driver and IOMMU group.</summary>
public sealed record VfOutcome(PciAddress Address, string? Driver, int? Group);
