using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_group_status (linux/vfio.h), for VFIO_GROUP_GET_STATUS.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_group_status
{
    public uint argsz;
    public uint flags;
}
