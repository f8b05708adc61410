namespace Vfio.Userspace;

/// <summary>VFIO_REGION_INFO_CAP_MSIX_MAPPABLE (3): the MSI-X table may be mmap'ed with the rest of the BAR.</summary>
public sealed record VfioMsixMappableCapability(ushort Version) : VfioRegionCapability(3, Version);
