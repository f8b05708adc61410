using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct iommu_ioas_map (linux/iommufd.h), for IOMMU_IOAS_MAP: maps process memory (user_va) at an IOVA.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct iommu_ioas_map
{
    public uint size;
    public uint flags;
    public uint ioas_id;
    public uint __reserved;
    public ulong user_va;
    public ulong length;
    public ulong iova;
}
