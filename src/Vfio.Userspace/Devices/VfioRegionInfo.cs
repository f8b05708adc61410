namespace Vfio.Userspace;

/// <summary>What VFIO_DEVICE_GET_REGION_INFO reports for one region, with its capabilities decoded.</summary>
/// <param name="Index">The region index (<see cref="VfioPciRegion"/> for the fixed ones).</param>
/// <param name="Flags">Access flags.</param>
/// <param name="Size">Size in bytes; 0 for an unimplemented region (an absent BAR).</param>
/// <param name="Offset">Offset of the region within the device fd (for pread/pwrite/mmap).</param>
/// <param name="Capabilities">The decoded capability chain, in chain order.</param>
public sealed record VfioRegionInfo(int Index, VfioRegionFlags Flags, ulong Size, ulong Offset, IReadOnlyList<VfioRegionCapability> Capabilities)
{
    /// <summary>Whether the region can be mmap'ed at all.</summary>
    public bool CanMmap => (Flags & VfioRegionFlags.Mmap) != 0;

    /// <summary>The mmap-able windows when the kernel restricts them (sparse mmap), else null: the whole region.</summary>
    public IReadOnlyList<VfioSparseMmapArea>? SparseMmapAreas =>
        Capabilities.OfType<VfioSparseMmapCapability>().FirstOrDefault()?.Areas;

    /// <summary>The device-specific region type, when the region has one.</summary>
    public VfioRegionTypeCapability? RegionType => Capabilities.OfType<VfioRegionTypeCapability>().FirstOrDefault();

    /// <summary>Whether the MSI-X table in this BAR may be mmap'ed too (capability 3, 4.16+ on capable platforms).</summary>
    public bool MsixMappable => Capabilities.OfType<VfioMsixMappableCapability>().Any();
}
