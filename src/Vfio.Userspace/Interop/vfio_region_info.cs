using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_region_info (linux/vfio.h), for VFIO_DEVICE_GET_REGION_INFO; capabilities follow it when argsz is large enough.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_region_info
{
    public uint argsz;
    public uint flags;
    public uint index;
    public uint cap_offset;
    public ulong size;
    public ulong offset;
}
