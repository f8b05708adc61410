using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_device_attach_iommufd_pt (linux/vfio.h, 6.6), for VFIO_DEVICE_ATTACH_IOMMUFD_PT: attaches a bound device to an IOAS (or a page table) by id.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_device_attach_iommufd_pt
{
    public uint argsz;
    public uint flags;
    public uint pt_id;
    public uint pasid;
}
