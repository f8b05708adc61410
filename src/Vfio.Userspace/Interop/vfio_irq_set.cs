using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_irq_set (linux/vfio.h), for VFIO_DEVICE_SET_IRQS; count data entries follow (s32 eventfds, u8 bools, or none).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_irq_set
{
    public uint argsz;
    public uint flags;
    public uint index;
    public uint start;
    public uint count;
}
