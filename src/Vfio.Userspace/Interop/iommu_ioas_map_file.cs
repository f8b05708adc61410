using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct iommu_ioas_map_file (linux/iommufd.h, 6.13), for IOMMU_IOAS_MAP_FILE: maps a range of a memfd (or hugetlbfs file) by fd, not by address.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct iommu_ioas_map_file
{
    public uint size;
    public uint flags;
    public uint ioas_id;
    public int fd;
    public ulong start;
    public ulong length;
    public ulong iova;
}
