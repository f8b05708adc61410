namespace Vfio.Userspace;

/// <summary>
/// Everything needed to drive one PCI device, owned together: finds the device's IOMMU group in
/// sysfs, opens a container and the group, attaches the group, sets the type1v2 IOMMU and opens the
/// device. Dispose releases in the order the kernel accepts (kernel-facts section 5): DMA buffers
/// (unmapped while the container still has its IOMMU), the device, the container unset, the
/// container, the group.
/// </summary>
public sealed class VfioSession : IDisposable
{
    private VfioSession() => throw new NotImplementedException();

    /// <summary>
    /// Opens the device at <paramref name="address"/>, which must already be bound to vfio-pci (this
    /// binds nothing; <c>vfioctl bind ADDR</c> does).
    /// </summary>
    /// <exception cref="VfioException">With the step that failed and how to fix it (group missing or not granted, busy, not viable, ...).</exception>
    public static VfioSession Open(PciAddress address, VfioDeviceOptions? options = null) => throw new NotImplementedException();

    /// <summary>The device address.</summary>
    public PciAddress Address => throw new NotImplementedException();

    /// <summary>The container (type1v2 IOMMU set).</summary>
    public VfioContainer Container => throw new NotImplementedException();

    /// <summary>The device's group, attached to <see cref="Container"/>.</summary>
    public VfioGroup Group => throw new NotImplementedException();

    /// <summary>The open device.</summary>
    public VfioDevice Device => throw new NotImplementedException();

    /// <summary>
    /// Allocates DMA memory mapped in the container (<see cref="VfioContainer.AllocateDma"/>); the session
    /// disposes buffers still alive when it is disposed.
    /// </summary>
    /// <param name="length">Bytes wanted.</param>
    /// <param name="dmaMask">The device's DMA mask (highest reachable address), e.g. 0x0fffffff for edu's 28 bits.</param>
    public DmaBuffer AllocateDma(nuint length, ulong? dmaMask = null) => throw new NotImplementedException();

    /// <summary>Releases everything in teardown order. Idempotent.</summary>
    public void Dispose() => throw new NotImplementedException();
}
