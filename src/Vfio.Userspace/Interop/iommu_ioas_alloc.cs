using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct iommu_ioas_alloc (linux/iommufd.h), for IOMMU_IOAS_ALLOC: a new, empty I/O address space.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct iommu_ioas_alloc
{
    public uint size;
    public uint flags;
    public uint out_ioas_id;
}
