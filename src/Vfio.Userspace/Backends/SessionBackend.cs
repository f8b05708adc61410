namespace Vfio.Userspace;

/// <summary>
/// What a <see cref="VfioSession"/> holds besides the device: the IOMMU context the device is opened in.
/// The session disposes its DMA buffers and then the device before it disposes the backend, which lets go
/// of the IOMMU context in the order the kernel accepts (kernel-facts section 5).
/// </summary>
internal abstract class SessionBackend : IDisposable
{
    /// <summary>Which backend this is (never <see cref="VfioBackend.Auto"/>).</summary>
    public abstract VfioBackend Kind { get; }

    /// <summary>Where the device's DMA is mapped.</summary>
    public abstract DmaSpace Dma { get; }

    /// <summary>Opens the device in this backend's IOMMU context.</summary>
    public abstract VfioDevice OpenDevice(PciAddress address, VfioDeviceOptions? options);

    /// <summary>Releases the IOMMU context; the device must be closed already. Never throws for an ordinary teardown.</summary>
    public abstract void Dispose();

    /// <summary>The backend <paramref name="requested"/> stands for on this library.</summary>
    /// <exception cref="VfioException"><see cref="VfioErrorKind.NotSupported"/> for iommufd, which is not implemented yet.</exception>
    public static VfioBackend Resolve(VfioBackend requested, PciAddress address) => requested switch
    {
        VfioBackend.Auto or VfioBackend.Container => VfioBackend.Container,
        VfioBackend.Iommufd => throw new VfioException(VfioErrorKind.NotSupported, "open with the iommufd backend", address.ToString(), 0,
            "this library does not implement the iommufd backend yet (an I/O address space on /dev/iommu and the device node /dev/vfio/devices/vfioN).",
            "open with VfioBackend.Auto or VfioBackend.Container: the group/container API with the type1 IOMMU, which every kernel with VFIO has."),
        _ => throw new ArgumentOutOfRangeException(nameof(requested), requested, "not a VfioBackend."),
    };
}
