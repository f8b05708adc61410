using System.Runtime.InteropServices;
using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// A device's interrupts: each enabled vector is an eventfd the kernel signals
/// (VFIO_DEVICE_SET_IRQS with DATA_EVENTFD | ACTION_TRIGGER). One index is active at a time on
/// vfio-pci (vfio_pci_set_msi_trigger refuses another while one is on), so enabling an index
/// disables the current one first. Owned by <see cref="VfioDevice"/>.
/// </summary>
public sealed unsafe class DeviceInterrupts : IDisposable
{
    private readonly Lock _gate = new();
    private readonly VfioDevice _device;
    private InterruptVector[] _vectors = [];
    private InterruptPoller? _poller;
    private bool _disposed;

    internal DeviceInterrupts(VfioDevice device) => _device = device;

    /// <summary>The index currently enabled, or null.</summary>
    public VfioIrqIndex? ActiveIndex { get; private set; }

    /// <summary>The vectors of <see cref="ActiveIndex"/>.</summary>
    public IReadOnlyList<InterruptVector> Vectors
    {
        get { lock (_gate) return _vectors; }
    }

    /// <summary>Enables INTx with one eventfd. The kernel masks the line after each interrupt; call <see cref="InterruptVector.Unmask"/> after handling it.</summary>
    public InterruptVector EnableIntx() => Enable(VfioIrqIndex.Intx, 1)[0];

    /// <summary>Enables <paramref name="count"/> MSI vectors (at most what the device's MSI capability offers).</summary>
    public IReadOnlyList<InterruptVector> EnableMsi(int count = 1) => Enable(VfioIrqIndex.Msi, count);

    /// <summary>Enables <paramref name="count"/> MSI-X vectors.</summary>
    public IReadOnlyList<InterruptVector> EnableMsix(int count) => Enable(VfioIrqIndex.MsiX, count);

    private InterruptVector[] Enable(VfioIrqIndex index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var info = _device.GetIrqInfo(index);
            if (info.Count == 0)
                throw new VfioException(VfioErrorKind.NotSupported, "VFIO_DEVICE_SET_IRQS", _device.Name, 0,
                    $"the device has no {index} interrupts (VFIO_DEVICE_GET_IRQ_INFO count 0).",
                    index == VfioIrqIndex.Intx ? "its interrupt pin is 0, or INTx is unusable (shared without DisINTx support): use MSI or MSI-X." : "use another interrupt kind: check GetIrqInfo for INTx, MSI and MSI-X.");
            if (count > info.Count)
                throw new ArgumentOutOfRangeException(nameof(count), count, $"the device offers {info.Count} {index} vector(s).");
            if (ActiveIndex is { } active) DisableLocked(active);
            var fds = new FileDescriptorHandle[count];
            try
            {
                for (int i = 0; i < count; i++) fds[i] = EventFd.Create(_device.Name);
                SetEventFds(index, fds);
            }
            catch
            {
                foreach (var fd in fds) fd?.Dispose();
                throw;
            }
            var vectors = new InterruptVector[count];
            for (int i = 0; i < count; i++) vectors[i] = new InterruptVector(this, index, i, fds[i]);
            _vectors = vectors;
            ActiveIndex = index;
            return vectors;
        }
    }

    /// <summary>VFIO_DEVICE_SET_IRQS with DATA_NONE | ACTION_TRIGGER and count 0: disables the index and closes its eventfds.</summary>
    public void Disable(VfioIrqIndex index)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            DisableLocked(index);
        }
    }

    private void DisableLocked(VfioIrqIndex index)
    {
        int r = SetIrqs(VfioIoctl.VFIO_IRQ_SET_DATA_NONE | VfioIoctl.VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, 0, default);
        if (r < 0 && ActiveIndex == index)
            throw new VfioException(VfioErrorKind.Failed, "VFIO_DEVICE_SET_IRQS", _device.Name, Ioctl.Error(r), $"could not disable {index} interrupts.");
        if (ActiveIndex != index) return;
        var old = _vectors;
        _vectors = [];
        ActiveIndex = null;
        _poller?.Wake();
        foreach (var v in old) v.Close();
    }

    internal void WakePoller()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _poller ??= new InterruptPoller(_device.Name, () => Vectors);
        }
        _poller.Wake();
    }

    internal void SetMask(InterruptVector vector, bool mask)
    {
        uint action = mask ? VfioIoctl.VFIO_IRQ_SET_ACTION_MASK : VfioIoctl.VFIO_IRQ_SET_ACTION_UNMASK;
        int r = SetIrqs(VfioIoctl.VFIO_IRQ_SET_DATA_NONE | action, vector.Index, (uint)vector.Vector, 1, default);
        if (r < 0)
            throw new VfioException(Ioctl.Error(r) == Errno.EINVAL ? VfioErrorKind.NotSupported : VfioErrorKind.Failed, "VFIO_DEVICE_SET_IRQS", _device.Name, Ioctl.Error(r),
                $"could not {(mask ? "mask" : "unmask")} {vector.Index} vector {vector.Vector}.",
                Ioctl.Error(r) == Errno.EINVAL ? "vfio-pci masks and unmasks only INTx (MSI and MSI-X are not maskable through VFIO)." : null);
    }

    internal void Trigger(InterruptVector vector)
    {
        int r = SetIrqs(VfioIoctl.VFIO_IRQ_SET_DATA_NONE | VfioIoctl.VFIO_IRQ_SET_ACTION_TRIGGER, vector.Index, (uint)vector.Vector, 1, default);
        if (r < 0)
            throw new VfioException(VfioErrorKind.Failed, "VFIO_DEVICE_SET_IRQS", _device.Name, Ioctl.Error(r), $"could not trigger {vector.Index} vector {vector.Vector}.");
    }

    private void SetEventFds(VfioIrqIndex index, FileDescriptorHandle[] fds)
    {
        var added = new bool[fds.Length];
        try
        {
            Span<int> numbers = fds.Length <= 64 ? stackalloc int[fds.Length] : new int[fds.Length];
            for (int i = 0; i < fds.Length; i++)
            {
                fds[i].DangerousAddRef(ref added[i]);
                numbers[i] = (int)fds[i].DangerousGetHandle();
            }
            int r = SetIrqs(VfioIoctl.VFIO_IRQ_SET_DATA_EVENTFD | VfioIoctl.VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, (uint)fds.Length, MemoryMarshal.AsBytes(numbers));
            if (r < 0)
                throw new VfioException(VfioErrorKind.Failed, "VFIO_DEVICE_SET_IRQS", _device.Name, Ioctl.Error(r),
                    $"could not enable {fds.Length} {index} vector(s).",
                    Ioctl.Error(r) == Errno.EINVAL ? "another interrupt kind may still be enabled, or the device's capability does not allow this many vectors." : null);
        }
        finally
        {
            for (int i = 0; i < fds.Length; i++)
                if (added[i]) fds[i].DangerousRelease();
        }
    }

    private int SetIrqs(uint flags, VfioIrqIndex index, uint start, uint count, ReadOnlySpan<byte> data)
    {
        int size = sizeof(vfio_irq_set) + data.Length;
        byte* buffer = stackalloc byte[size];
        *(vfio_irq_set*)buffer = new vfio_irq_set { argsz = (uint)size, flags = flags, index = (uint)index, start = start, count = count };
        data.CopyTo(new Span<byte>(buffer + sizeof(vfio_irq_set), data.Length));
        return Ioctl.Call(_device.Handle, VfioIoctl.VFIO_DEVICE_SET_IRQS, buffer);
    }

    /// <summary>Disables the active index and stops the waiter thread.</summary>
    public void Dispose()
    {
        InterruptPoller? poller;
        lock (_gate)
        {
            if (_disposed) return;
            if (ActiveIndex is { } active)
            {
                try { DisableLocked(active); }
                catch (VfioException) { foreach (var v in _vectors) v.Close(); _vectors = []; ActiveIndex = null; }
                catch (ObjectDisposedException) { foreach (var v in _vectors) v.Close(); _vectors = []; ActiveIndex = null; }
            }
            _disposed = true;
            poller = _poller;
            _poller = null;
        }
        poller?.Dispose();
    }
}
