using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_iommu_type1_info_cap_iova_range (linux/vfio.h), capability 1 of VFIO_IOMMU_GET_INFO; nr_iovas vfio_iova_range entries follow.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_iommu_type1_info_cap_iova_range
{
    public vfio_info_cap_header header;
    public uint nr_iovas;
    public uint reserved;
}
