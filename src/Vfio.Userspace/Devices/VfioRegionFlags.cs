namespace Vfio.Userspace;

/// <summary>The flags of VFIO_DEVICE_GET_REGION_INFO (VFIO_REGION_INFO_FLAG_*).</summary>
[Flags]
public enum VfioRegionFlags : uint
{
    /// <summary>No access (an unimplemented region: size 0).</summary>
    None = 0,
    /// <summary>The region can be read through the device fd.</summary>
    Read = 1 << 0,
    /// <summary>The region can be written through the device fd.</summary>
    Write = 1 << 1,
    /// <summary>The region can be mmap'ed (see the sparse-mmap capability for which parts).</summary>
    Mmap = 1 << 2,
    /// <summary>The info has a capability chain.</summary>
    Caps = 1 << 3,
}
