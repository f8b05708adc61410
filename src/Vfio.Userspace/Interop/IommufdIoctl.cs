namespace Vfio.Userspace.Interop;

/// <summary>
/// iommufd ioctl numbers and flags (linux/iommufd.h; docs/kernel-facts.md section 5b). Like VFIO's,
/// every request is <c>_IO(';', cmd)</c> with the commands numbered from 0x80, so 0x3B80 + n; the
/// structs carry their own size. KernelStructLayoutTests compares every constant with the header's.
/// </summary>
internal static class IommufdIoctl
{
    public const nuint IOMMU_DESTROY = 0x3B80;
    public const nuint IOMMU_IOAS_ALLOC = 0x3B81;
    public const nuint IOMMU_IOAS_IOVA_RANGES = 0x3B84;
    public const nuint IOMMU_IOAS_MAP = 0x3B85;
    public const nuint IOMMU_IOAS_UNMAP = 0x3B86;
    public const nuint IOMMU_IOAS_MAP_FILE = 0x3B8F;

    // enum iommufd_ioas_map_flags (an enum in C: checked by value, not by #ifdef).
    public const uint IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0;
    public const uint IOMMU_IOAS_MAP_WRITEABLE = 1 << 1;
    public const uint IOMMU_IOAS_MAP_READABLE = 1 << 2;
}
