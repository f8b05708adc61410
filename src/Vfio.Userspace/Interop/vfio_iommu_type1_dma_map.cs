using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_iommu_type1_dma_map (linux/vfio.h), for VFIO_IOMMU_MAP_DMA.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_iommu_type1_dma_map
{
    public uint argsz;
    public uint flags;
    public ulong vaddr;
    public ulong iova;
    public ulong size;
}
