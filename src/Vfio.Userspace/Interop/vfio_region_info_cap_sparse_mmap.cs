using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_region_info_cap_sparse_mmap (linux/vfio.h), capability 1; nr_areas vfio_region_sparse_mmap_area entries follow.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_region_info_cap_sparse_mmap
{
    public vfio_info_cap_header header;
    public uint nr_areas;
    public uint reserved;
}
