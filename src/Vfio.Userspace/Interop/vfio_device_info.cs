using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_device_info (linux/vfio.h), for VFIO_DEVICE_GET_INFO.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_device_info
{
    public uint argsz;
    public uint flags;
    public uint num_regions;
    public uint num_irqs;
    public uint cap_offset;
}
