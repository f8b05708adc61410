namespace Vfio.Userspace;

/// <summary>One capability from a region's info chain (struct vfio_info_cap_header plus its body).</summary>
/// <param name="Id">VFIO_REGION_INFO_CAP_* id.</param>
/// <param name="Version">The capability's version.</param>
public abstract record VfioRegionCapability(ushort Id, ushort Version);
