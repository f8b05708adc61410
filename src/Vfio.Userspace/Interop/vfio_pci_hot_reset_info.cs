using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_pci_hot_reset_info (linux/vfio.h), for VFIO_DEVICE_GET_PCI_HOT_RESET_INFO; count vfio_pci_dependent_device entries follow.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_pci_hot_reset_info
{
    public uint argsz;
    public uint flags;
    public uint count;
}
