using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_irq_info (linux/vfio.h), for VFIO_DEVICE_GET_IRQ_INFO.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_irq_info
{
    public uint argsz;
    public uint flags;
    public uint index;
    public uint count;
}
