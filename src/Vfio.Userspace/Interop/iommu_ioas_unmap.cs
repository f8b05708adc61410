using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct iommu_ioas_unmap (linux/iommufd.h), for IOMMU_IOAS_UNMAP: length in, bytes unmapped out.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct iommu_ioas_unmap
{
    public uint size;
    public uint ioas_id;
    public ulong iova;
    public ulong length;
}
