using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// One interrupt vector, backed by an eventfd: the kernel adds 1 to its counter per interrupt.
/// <see cref="WaitAsync"/> completes with the count of interrupts since the last read; concurrent
/// waiters on one vector all complete with the same count.
/// </summary>
public sealed class InterruptVector
{
    private readonly Lock _gate = new();
    private readonly DeviceInterrupts _owner;
    private readonly List<Waiter> _waiters = [];
    private bool _closed;

    private sealed record Waiter(TaskCompletionSource<ulong> Completion)
    {
        public CancellationTokenRegistration Registration { get; set; }
    }

    internal InterruptVector(DeviceInterrupts owner, VfioIrqIndex index, int vector, FileDescriptorHandle eventFd)
    {
        _owner = owner;
        Index = index;
        Vector = vector;
        EventFd = eventFd;
    }

    internal FileDescriptorHandle EventFd { get; }

    internal bool HasWaiters
    {
        get { lock (_gate) return _waiters.Count > 0; }
    }

    /// <summary>The IRQ index (INTx, MSI, MSI-X).</summary>
    public VfioIrqIndex Index { get; }

    /// <summary>The vector number within the index.</summary>
    public int Vector { get; }

    /// <summary>Waits for at least one interrupt and returns how many arrived since the last read.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled first.</exception>
    /// <exception cref="ObjectDisposedException">The vector was disabled while waiting.</exception>
    public ValueTask<ulong> WaitAsync(CancellationToken cancellationToken = default)
    {
        Waiter waiter;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (Interop.EventFd.TryRead(EventFd, out ulong ready)) return ValueTask.FromResult(ready);
            if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<ulong>(cancellationToken);
            waiter = new Waiter(new TaskCompletionSource<ulong>(TaskCreationOptions.RunContinuationsAsynchronously));
            _waiters.Add(waiter);
        }
        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.UnsafeRegister(static (state, token) =>
            {
                var (vector, w) = ((InterruptVector, Waiter))state!;
                lock (vector._gate) vector._waiters.Remove(w);
                w.Completion.TrySetCanceled(token);
            }, (this, waiter));
        }
        _owner.WakePoller();
        return new ValueTask<ulong>(waiter.Completion.Task);
    }

    /// <summary>Reads the counter without waiting: true with the count when interrupts arrived.</summary>
    public bool TryRead(out ulong count)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            return Interop.EventFd.TryRead(EventFd, out count);
        }
    }

    /// <summary>Unmasks the vector (VFIO_IRQ_SET_ACTION_UNMASK); needed after every INTx interrupt.</summary>
    public void Unmask() => _owner.SetMask(this, mask: false);

    /// <summary>Masks the vector (VFIO_IRQ_SET_ACTION_MASK), where the index is maskable.</summary>
    public void Mask() => _owner.SetMask(this, mask: true);

    /// <summary>
    /// Asks the kernel to signal this vector as if the device had raised it (VFIO_DEVICE_SET_IRQS with
    /// DATA_NONE | ACTION_TRIGGER on one vector: vfio's loopback test). For testing interrupt paths
    /// without a device event.
    /// </summary>
    public void Trigger() => _owner.Trigger(this);

    /// <summary>Called on the poll thread when the eventfd is readable.</summary>
    internal void OnReadable()
    {
        Waiter[] done;
        ulong count;
        lock (_gate)
        {
            if (_closed || _waiters.Count == 0) return;
            if (!Interop.EventFd.TryRead(EventFd, out count)) return;
            done = [.. _waiters];
            _waiters.Clear();
        }
        foreach (var w in done)
        {
            w.Registration.Unregister();
            w.Completion.TrySetResult(count);
        }
    }

    /// <summary>Fails waiters and closes the eventfd (after the kernel stopped signalling it).</summary>
    internal void Close()
    {
        Waiter[] pending;
        lock (_gate)
        {
            if (_closed) return;
            _closed = true;
            pending = [.. _waiters];
            _waiters.Clear();
        }
        foreach (var w in pending)
        {
            w.Registration.Unregister();
            w.Completion.TrySetException(new ObjectDisposedException(nameof(InterruptVector), $"{Index} vector {Vector} was disabled while waiting."));
        }
        EventFd.Dispose();
    }
}
