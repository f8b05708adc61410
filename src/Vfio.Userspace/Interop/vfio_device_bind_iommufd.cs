using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_device_bind_iommufd (linux/vfio.h, 6.6; token 6.17), for VFIO_DEVICE_BIND_IOMMUFD on a device cdev.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_device_bind_iommufd
{
    public uint argsz;
    public uint flags;
    public int iommufd;
    public uint out_devid;
    public ulong token_uuid_ptr;
}
