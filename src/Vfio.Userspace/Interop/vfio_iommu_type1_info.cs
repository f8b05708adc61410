using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_iommu_type1_info (linux/vfio.h), for VFIO_IOMMU_GET_INFO (24 bytes: cap_offset is followed by 4 bytes of padding).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_iommu_type1_info
{
    public uint argsz;
    public uint flags;
    public ulong iova_pgsizes;
    public uint cap_offset;
}
