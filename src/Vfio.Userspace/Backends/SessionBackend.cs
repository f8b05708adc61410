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
}
