using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct iommu_ioas_iova_ranges (linux/iommufd.h), for IOMMU_IOAS_IOVA_RANGES: the ranges are written to the array at allowed_iovas; num_iovas in, count out (EMSGSIZE when the array is too small).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct iommu_ioas_iova_ranges
{
    public uint size;
    public uint ioas_id;
    public uint num_iovas;
    public uint __reserved;
    public ulong allowed_iovas;
    public ulong out_iova_alignment;
}
