namespace Vfio.Userspace;

/// <summary>
/// How VFIO gives a device its IOMMU context and where DMA is mapped (<see cref="VfioSessionOptions.Backend"/>,
/// <see cref="DmaSpace.Backend"/>).
/// </summary>
public enum VfioBackend
{
    /// <summary>
    /// Let the library choose. Today that is always <see cref="Container"/>; when iommufd is implemented it
    /// stays the container unless the session is asked for iommufd. A <see cref="DmaSpace"/> never reports it.
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
    /// <c>/dev/vfio/devices/vfioN</c>, with no group fd. Not implemented yet: asking for it fails with a
    /// <see cref="VfioException"/> of kind <see cref="VfioErrorKind.NotSupported"/>.
    /// </summary>
    Iommufd,
}
