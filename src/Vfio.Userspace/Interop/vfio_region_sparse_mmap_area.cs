using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_region_sparse_mmap_area (linux/vfio.h): one mmap-able window of a region.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_region_sparse_mmap_area
{
    public ulong offset;
    public ulong size;
}
