using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_region_info_cap_type (linux/vfio.h), capability 2.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_region_info_cap_type
{
    public vfio_info_cap_header header;
    public uint type;
    public uint subtype;
}
