using Vfio.Userspace.Interop;

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
    private readonly Lock _gate = new();
    private readonly List<DmaBuffer> _buffers = [];
    private bool _disposed;

    private VfioSession(PciAddress address, VfioContainer container, VfioGroup group, VfioDevice device)
    {
        Address = address;
        Container = container;
        Group = group;
        Device = device;
    }

    /// <summary>
    /// Opens the device at <paramref name="address"/>, which must already be bound to vfio-pci (this
    /// binds nothing; <c>vfioctl bind ADDR</c> does).
    /// </summary>
    /// <exception cref="VfioException">With the step that failed and how to fix it (group missing or not granted, busy, not viable, ...).</exception>
    public static VfioSession Open(PciAddress address, VfioDeviceOptions? options = null) => Open(address, options, SystemPaths.Default);

    internal static VfioSession Open(PciAddress address, VfioDeviceOptions? options, SystemPaths paths)
    {
        int number = VfioGroup.NumberOf(address, paths);
        VfioGroup? group = null;
        VfioContainer? container = null;
        bool attached = false;
        try
        {
            // The group first: its errors (missing node, not granted, busy) are the likely ones and the
            // most useful to report; the container node is world-accessible.
            group = VfioGroup.Open(number, paths, address.ToString());
            container = VfioContainer.Open(paths.ContainerNode);
            group.SetContainer(container);
            attached = true;
            container.SetIommu(VfioExtension.Type1v2);
            var device = group.GetDevice(address, options);
            return new VfioSession(address, container, group, device);
        }
        catch
        {
            if (attached) TryUnset(group!);
            container?.Dispose();
            group?.Dispose();
            throw;
        }
    }

    /// <summary>The device address.</summary>
    public PciAddress Address { get; }

    /// <summary>The container (type1v2 IOMMU set).</summary>
    public VfioContainer Container { get; }

    /// <summary>The device's group, attached to <see cref="Container"/>.</summary>
    public VfioGroup Group { get; }

    /// <summary>The open device.</summary>
    public VfioDevice Device { get; }

    /// <summary>
    /// Allocates DMA memory mapped in the container (<see cref="VfioContainer.AllocateDma"/>); the session
    /// disposes buffers still alive when it is disposed.
    /// </summary>
    /// <param name="length">Bytes wanted.</param>
    /// <param name="dmaMask">The device's DMA mask (highest reachable address), e.g. 0x0fffffff for edu's 28 bits.</param>
    public DmaBuffer AllocateDma(nuint length, ulong? dmaMask = null)
    {
        lock (_gate) ObjectDisposedException.ThrowIf(_disposed, this);
        var buffer = Container.AllocateDma(length, dmaMask);
        lock (_gate)
        {
            _buffers.Add(buffer);
            buffer.Disposed += Forget;
        }
        return buffer;
    }

    private void Forget(DmaBuffer buffer)
    {
        lock (_gate) _buffers.Remove(buffer);
    }

    /// <summary>Releases everything in teardown order. Idempotent.</summary>
    public void Dispose()
    {
        DmaBuffer[] buffers;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            buffers = [.. _buffers];
            _buffers.Clear();
        }
        // 1. DMA: unmapped while the IOMMU is still set, so the device loses access before the memory goes.
        foreach (var b in buffers)
        {
            b.Disposed -= Forget;
            b.Dispose();
        }
        // 2. Device fd (interrupts disabled, BARs unmapped): VFIO_GROUP_UNSET_CONTAINER is EBUSY while it is open.
        Device.Dispose();
        // 3. Detach the group; the last group leaving tears the container's IOMMU down.
        TryUnset(Group);
        // 4. Container, then the group node (kernel-facts section 5).
        Container.Dispose();
        Group.Dispose();
    }

    private static void TryUnset(VfioGroup group)
    {
        // Closing the group fd also detaches it; a failed unset must not stop the rest of the teardown.
        try { group.UnsetContainer(); }
        catch (VfioException) { }
        catch (ObjectDisposedException) { }
    }
}
