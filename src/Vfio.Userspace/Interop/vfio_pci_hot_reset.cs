using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_pci_hot_reset (linux/vfio.h), for VFIO_DEVICE_PCI_HOT_RESET; count group fds (__s32) follow (none through a cdev).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_pci_hot_reset
{
    public uint argsz;
    public uint flags;
    public uint count;
}
