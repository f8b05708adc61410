using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct vfio_device_feature (linux/vfio.h), for VFIO_DEVICE_FEATURE; the feature's data follows.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct vfio_device_feature
{
    public uint argsz;
    public uint flags;
}
