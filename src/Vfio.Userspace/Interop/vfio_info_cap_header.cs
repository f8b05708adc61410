using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_info_cap_header (linux/vfio.h): the header of every capability in an INFO chain; next is an offset from the start of the info buffer, 0 ends the chain.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_info_cap_header
{
    public ushort id;
    public ushort version;
    public uint next;
}
