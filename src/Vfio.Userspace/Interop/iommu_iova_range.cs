using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct iommu_iova_range (linux/iommufd.h): one allowed IOVA range, inclusive end (`last`).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct iommu_iova_range
{
    public ulong start;
    public ulong last;
}
