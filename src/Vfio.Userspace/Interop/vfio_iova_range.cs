using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_iova_range (linux/vfio.h): an inclusive IOVA range [start, end].</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_iova_range
{
    public ulong start;
    public ulong end;
}
