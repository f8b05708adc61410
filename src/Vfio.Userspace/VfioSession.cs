using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// Everything needed to drive one PCI device, owned together: the IOMMU context of the chosen backend
/// and the open device. With the container backend (the default): finds the device's IOMMU group in
/// sysfs, opens a container and the group, attaches the group, sets the type1v2 IOMMU and opens the
/// device. Dispose releases in the order the kernel accepts (kernel-facts section 5): DMA buffers
/// (unmapped while the container still has its IOMMU), the device, the container unset, the
/// container, the group.
/// </summary>
public sealed class VfioSession : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<DmaBuffer> _buffers = [];
    private readonly SessionBackend _backend;
    private bool _disposed;

    private VfioSession(PciAddress address, SessionBackend backend, VfioDevice device)
    {
        Address = address;
        _backend = backend;
        Device = device;
    }

    /// <summary>
    /// Opens the device at <paramref name="address"/> with the default backend (the container), which must
    /// already be bound to vfio-pci (this binds nothing; <c>vfioctl bind ADDR</c> does).
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
    /// <param name="options">The backend (<see cref="VfioBackend.Auto"/>: the container today) and the device-open options.</param>
    /// <exception cref="VfioException">With the step that failed and how to fix it (group missing or not granted, busy, not viable, ...);
    /// <see cref="VfioErrorKind.NotSupported"/> for <see cref="VfioBackend.Iommufd"/>, which is not implemented yet.</exception>
    public static VfioSession Open(PciAddress address, VfioSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Open(address, options, SystemPaths.Default);
    }

    internal static VfioSession Open(PciAddress address, VfioSessionOptions options, SystemPaths paths)
    {
        SessionBackend backend = SessionBackend.Resolve(options.Backend, address) switch
        {
            VfioBackend.Container => ContainerBackend.Open(address, paths),
            var other => throw new System.Diagnostics.UnreachableException($"no session backend for {other}."),
        };
        try
        {
            var device = backend.OpenDevice(address, options.Device);
            return new VfioSession(address, backend, device);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>The device address.</summary>
    public PciAddress Address { get; }

    /// <summary>The backend the session uses (<see cref="VfioBackend.Container"/> today; never <see cref="VfioBackend.Auto"/>).</summary>
    public VfioBackend Backend => _backend.Kind;

    /// <summary>Where the device's DMA is mapped, whatever the backend (the container today).</summary>
    public DmaSpace Dma => _backend.Dma;

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
