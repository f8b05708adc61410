using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_device_detach_iommufd_pt (linux/vfio.h, 6.6), for VFIO_DEVICE_DETACH_IOMMUFD_PT.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_device_detach_iommufd_pt
{
    public uint argsz;
    public uint flags;
    public uint pasid;
}
