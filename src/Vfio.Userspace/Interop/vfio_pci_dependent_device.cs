using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_pci_dependent_device (linux/vfio.h): one device a hot reset would affect.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_pci_dependent_device
{
    public uint group_id;
    public ushort segment;
    public byte bus;
    public byte devfn;
}
