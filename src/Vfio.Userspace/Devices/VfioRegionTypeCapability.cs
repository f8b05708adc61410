namespace Vfio.Userspace;

/// <summary>VFIO_REGION_INFO_CAP_TYPE (2): a device-specific region's type and subtype.</summary>
public sealed record VfioRegionTypeCapability(ushort Version, uint Type, uint Subtype) : VfioRegionCapability(2, Version);
