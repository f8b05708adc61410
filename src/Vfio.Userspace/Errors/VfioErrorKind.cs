namespace Vfio.Userspace;

/// <summary>What kind of failure a <see cref="VfioException"/> reports, so callers can branch without parsing text.</summary>
public enum VfioErrorKind
{
    /// <summary>A failure with no more specific kind; <see cref="VfioException.Errno"/> says what the kernel returned.</summary>
    Failed,
    /// <summary>The device has no IOMMU group (no IOMMU, or the device does not exist).</summary>
    NoIommuGroup,
    /// <summary><c>/dev/vfio/N</c> does not exist: no device of the group is bound to a vfio driver.</summary>
    GroupNodeMissing,
    /// <summary><c>/dev/vfio/N</c> exists but this user may not open it (EACCES/EPERM on open).</summary>
    GroupNodeNotAccessible,
    /// <summary>The group is already open (EBUSY): one open of <c>/dev/vfio/N</c> at a time.</summary>
    GroupBusy,
    /// <summary>The group is not viable: a member is bound to a kernel driver that owns DMA (EPERM on SET_CONTAINER).</summary>
    GroupNotViable,
    /// <summary>The container refuses or lacks what was asked: API version, extension, IOMMU model (ENODEV without vfio_iommu_type1).</summary>
    IommuUnavailable,
    /// <summary>The device could not be opened from its group (not in the group, not bound to vfio, option rejected).</summary>
    DeviceOpenFailed,
    /// <summary>The VF token is missing or wrong (EACCES on opening a VF of a vfio-pci PF).</summary>
    VfTokenRejected,
    /// <summary>Pinning DMA memory exceeded RLIMIT_MEMLOCK (ENOMEM on VFIO_IOMMU_MAP_DMA).</summary>
    MemlockLimit,
    /// <summary>No free IOVA range satisfies the request (size, alignment, DMA mask, the IOMMU's IOVA ranges).</summary>
    IovaExhausted,
    /// <summary>The kernel does not support the operation on this device (no reset, not a PF, no such region or IRQ).</summary>
    NotSupported,
    /// <summary>Memory could not be allocated or mapped (mmap failed).</summary>
    MapFailed,
    /// <summary>A hot reset would reset a device the caller does not own (named in the message); nothing was reset.</summary>
    NotOwned,
    /// <summary>A DMA call on a container in vfio's unsafe no-IOMMU mode: there is no IOMMU to map through.</summary>
    NoIommu,
    /// <summary>
    /// The kernel refuses VFIO on this platform because MSIs cannot be isolated (no interrupt
    /// remapping): EPERM on VFIO_SET_IOMMU (vfio_iommu_type1) or on VFIO_DEVICE_BIND_IOMMUFD (iommufd)
    /// with no group member to blame.
    /// </summary>
    UnsafeInterrupts,
}
