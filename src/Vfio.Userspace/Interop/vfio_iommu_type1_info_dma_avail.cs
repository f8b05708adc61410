using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_iommu_type1_info_dma_avail (linux/vfio.h), capability 3 of VFIO_IOMMU_GET_INFO.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_iommu_type1_info_dma_avail
{
    public vfio_info_cap_header header;
    public uint avail;
}
