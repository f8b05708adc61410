namespace Vfio.Userspace;

/// <summary>The flags of VFIO_DEVICE_GET_INFO (VFIO_DEVICE_FLAGS_*).</summary>
[Flags]
public enum VfioDeviceFlags : uint
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>The device supports VFIO_DEVICE_RESET.</summary>
    Reset = 1 << 0,
    /// <summary>A vfio-pci device.</summary>
    Pci = 1 << 1,
    /// <summary>A vfio-platform device.</summary>
    Platform = 1 << 2,
    /// <summary>A vfio-amba device.</summary>
    Amba = 1 << 3,
    /// <summary>A vfio-ccw device.</summary>
    Ccw = 1 << 4,
    /// <summary>A vfio-ap device.</summary>
    Ap = 1 << 5,
    /// <summary>A vfio-fsl-mc device.</summary>
    FslMc = 1 << 6,
    /// <summary>The info has a capability chain.</summary>
    Caps = 1 << 7,
}
