using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_iommu_type1_dma_unmap (linux/vfio.h), for VFIO_IOMMU_UNMAP_DMA; size returns the bytes unmapped.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_iommu_type1_dma_unmap
{
    public uint argsz;
    public uint flags;
    public ulong iova;
    public ulong size;
}
