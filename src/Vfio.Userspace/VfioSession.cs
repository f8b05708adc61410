using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// Everything needed to drive one PCI device, owned together: the IOMMU context of the chosen backend
/// and the open device. The container backend finds the device's IOMMU group in sysfs, opens a
/// container and the group, attaches the group, sets the type1v2 IOMMU and opens the device; the
/// iommufd backend opens /dev/iommu, allocates an I/O address space, opens the device's cdev, binds it
/// and attaches it. <see cref="VfioBackend.Auto"/> (the default) takes iommufd where the kernel and the
/// user allow it. Dispose releases in the order the kernel accepts (docs/kernel-facts.md sections 5 and
/// 5b): DMA buffers (unmapped while the IOMMU context still exists), the device, then the backend
/// (container unset, container, group; or the IOAS and the iommufd).
/// </summary>
public sealed class VfioSession : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<DmaBuffer> _buffers = [];
    private readonly SessionBackend _backend;
    private bool _disposed;

    private VfioSession(PciAddress address, SessionBackend backend, VfioDevice device, string backendReason)
    {
        Address = address;
        BackendReason = backendReason;
        _backend = backend;
        Device = device;
    }

    /// <summary>
    /// Opens the device at <paramref name="address"/> with the automatic backend choice (iommufd where
    /// available, else the container). The device must already be bound to vfio-pci (this binds nothing;
    /// <c>vfioctl bind ADDR</c> does).
    /// </summary>
    /// <param name="address">The device.</param>
    /// <param name="options">Options the kernel gets when the device is opened (a VF token), or null.</param>
    /// <exception cref="VfioException">With the step that failed and how to fix it (group missing or not granted, busy, not viable, ...).</exception>
    public static VfioSession Open(PciAddress address, VfioDeviceOptions? options = null) =>
        Open(address, new VfioSessionOptions { Device = options }, SystemPaths.Default);

    /// <summary>
    /// Opens the device at <paramref name="address"/> with the backend <paramref name="options"/> asks for.
    /// The device must already be bound to vfio-pci (this binds nothing; <c>vfioctl bind ADDR</c> does).
    /// </summary>
    /// <param name="address">The device.</param>
    /// <param name="options">The backend (<see cref="VfioBackend.Auto"/> by default) and the device-open options.</param>
    /// <exception cref="VfioException">With the step that failed and how to fix it (group missing or not granted, busy, not viable, ...);
    /// for <see cref="VfioBackend.Iommufd"/> on a kernel or device without it, <see cref="VfioErrorKind.IommuUnavailable"/> or
    /// <see cref="VfioErrorKind.NotSupported"/> with the reason.</exception>
    public static VfioSession Open(PciAddress address, VfioSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Open(address, options, SystemPaths.Default);
    }

    internal static VfioSession Open(PciAddress address, VfioSessionOptions options, SystemPaths paths)
    {
        switch (options.Backend)
        {
            case VfioBackend.Container:
                return OpenIn(address, ContainerBackend.Open(address, paths), options, "the container backend was asked for");
            case VfioBackend.Iommufd:
                return OpenIn(address, IommufdBackend.Open(address, paths, options.Device), options, "the iommufd backend was asked for");
            case VfioBackend.Auto:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Backend, "not a VfioBackend.");
        }
        // Auto: iommufd when this kernel and this user can use it for the device, else the container.
        // A decline leaves nothing open, so the container starts from a clean slate.
        var iommufd = IommufdBackend.TryOpen(address, paths, options.Device, out string reason);
        if (iommufd is not null)
        {
            VfioDevice? device;
            string? declined;
            try
            {
                device = iommufd.OpenDevice(address, options.Device, mayDecline: true, out declined);
            }
            catch
            {
                iommufd.Dispose();
                throw;
            }
            if (device is not null) return new VfioSession(address, iommufd, device, "iommufd: " + reason);
            iommufd.Dispose();
            reason = declined!;
        }
        return OpenIn(address, ContainerBackend.Open(address, paths), options, "container: " + reason);
    }

    private static VfioSession OpenIn(PciAddress address, SessionBackend backend, VfioSessionOptions options, string reason)
    {
        try
        {
            var device = backend.OpenDevice(address, options.Device);
            return new VfioSession(address, backend, device, reason);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>The device address.</summary>
    public PciAddress Address { get; }

    /// <summary>The backend the session uses (never <see cref="VfioBackend.Auto"/>).</summary>
    public VfioBackend Backend => _backend.Kind;

    /// <summary>
    /// Why this backend: asked for by the caller, or what the automatic choice saw (e.g.
    /// <c>container: /dev/iommu does not exist ...</c>), for logs and for users who wonder.
    /// </summary>
    public string BackendReason { get; }

    /// <summary>Where the device's DMA is mapped, whatever the backend: a <see cref="VfioContainer"/> or an <see cref="IommufdIoas"/>.</summary>
    public DmaSpace Dma => _backend.Dma;

    /// <summary>
    /// The iommufd the device is bound to. Iommufd backend only: with the container backend this throws
    /// <see cref="InvalidOperationException"/>.
    /// </summary>
    public Iommufd Iommufd => (_backend as IommufdBackend)?.Iommufd
        ?? throw new InvalidOperationException($"VfioSession.Iommufd exists only with the iommufd backend; this session uses {_backend.Kind}: use VfioSession.Dma for DMA.");

    /// <summary>
    /// The container (type1v2 IOMMU set). Container backend only: with another backend this throws
    /// <see cref="InvalidOperationException"/>; use <see cref="Dma"/> for what every backend has.
    /// </summary>
    public VfioContainer Container => (_backend as ContainerBackend)?.Container ?? throw NotContainer(nameof(Container));

    /// <summary>
    /// The device's group, attached to <see cref="Container"/>. Container backend only: with another
    /// backend (iommufd has no group fd) this throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public VfioGroup Group => (_backend as ContainerBackend)?.Group ?? throw NotContainer(nameof(Group));

    /// <summary>The open device.</summary>
    public VfioDevice Device { get; }

    /// <summary>
    /// A hot (bus or slot) reset of the device (<see cref="VfioDevice.HotReset"/>): with the container
    /// backend the session's group proves ownership, with iommufd the kernel checks the iommufd. Refused,
    /// naming them, when the reset would reach devices this session does not own.
    /// </summary>
    public void HotReset()
    {
        lock (_gate) ObjectDisposedException.ThrowIf(_disposed, this);
        Device.HotReset(_backend is ContainerBackend c ? [c.Group] : null);
    }

    /// <summary>
    /// Allocates DMA memory mapped in the session's DMA space (<see cref="DmaSpace.AllocateDma"/>); the session
    /// disposes buffers still alive when it is disposed.
    /// </summary>
    /// <param name="length">Bytes wanted.</param>
    /// <param name="dmaMask">The device's DMA mask (highest reachable address), e.g. 0x0fffffff for edu's 28 bits.</param>
    public DmaBuffer AllocateDma(nuint length, ulong? dmaMask = null)
    {
        lock (_gate) ObjectDisposedException.ThrowIf(_disposed, this);
        var buffer = Dma.AllocateDma(length, dmaMask);
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
        // 3. and 4. The backend: the container unset, the container, then the group node (kernel-facts section 5).
        _backend.Dispose();
    }

    private InvalidOperationException NotContainer(string member) =>
        new($"VfioSession.{member} exists only with the container backend; this session uses {_backend.Kind}: use VfioSession.Dma for DMA.");
}
