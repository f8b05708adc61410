namespace Vfio.Userspace;

/// <summary>
/// How VFIO gives a device its IOMMU context and where DMA is mapped (<see cref="VfioSessionOptions.Backend"/>,
/// <see cref="DmaSpace.Backend"/>).
/// </summary>
public enum VfioBackend
{
    /// <summary>
    /// Let the library choose: <see cref="Iommufd"/> when <c>/dev/iommu</c> and the device's cdev exist and
    /// this user can open them (and, with a VF token, the kernel's cdev bind takes one: 6.17), else
    /// <see cref="Container"/>. Declining iommufd leaves nothing open. <see cref="VfioSession.BackendReason"/>
    /// says what was seen. A <see cref="DmaSpace"/> never reports it.
    /// </summary>
    Auto,

    /// <summary>
    /// The legacy group/container API: the group node <c>/dev/vfio/N</c> attached to a container
    /// <c>/dev/vfio/vfio</c> with the type1v2 IOMMU (<see cref="VfioContainer"/>, <see cref="VfioGroup"/>).
    /// Every kernel with VFIO has it.
    /// </summary>
    Container,

    /// <summary>
    /// iommufd: an I/O address space on <c>/dev/iommu</c> and the device's own node
    /// <c>/dev/vfio/devices/vfioN</c>, bound to the iommufd and attached to the space, with no group fd
    /// (<see cref="Vfio.Userspace.Iommufd"/>, <see cref="IommufdIoas"/>). Needs a kernel with CONFIG_IOMMUFD and
    /// CONFIG_VFIO_DEVICE_CDEV (6.6 and later; not Debian's kernels up to 7.2).
    /// </summary>
    Iommufd,
}
