namespace Vfio.Userspace;

/// <summary>VFIO_REGION_INFO_CAP_SPARSE_MMAP (1): only these windows may be mmap'ed (e.g. around an MSI-X table).</summary>
public sealed record VfioSparseMmapCapability(ushort Version, IReadOnlyList<VfioSparseMmapArea> Areas) : VfioRegionCapability(1, Version);
