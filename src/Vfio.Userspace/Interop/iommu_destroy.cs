using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct iommu_destroy (linux/iommufd.h), for IOMMU_DESTROY: frees an iommufd object by id.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct iommu_destroy
{
    public uint size;
    public uint id;
}
