namespace Vfio.Userspace;

/// <summary>
/// One interrupt vector, backed by an eventfd: the kernel adds 1 to its counter per interrupt.
/// <see cref="WaitAsync"/> completes with the count of interrupts since the last read.
/// </summary>
public sealed class InterruptVector
{
    internal InterruptVector() => throw new NotImplementedException();

    /// <summary>The IRQ index (INTx, MSI, MSI-X).</summary>
    public VfioIrqIndex Index => throw new NotImplementedException();

    /// <summary>The vector number within the index.</summary>
    public int Vector => throw new NotImplementedException();

    /// <summary>Waits for at least one interrupt and returns how many arrived since the last read.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled first.</exception>
    /// <exception cref="ObjectDisposedException">The vector was disabled while waiting.</exception>
    public ValueTask<ulong> WaitAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Reads the counter without waiting: true with the count when interrupts arrived.</summary>
    public bool TryRead(out ulong count) => throw new NotImplementedException();

    /// <summary>Unmasks the vector (VFIO_IRQ_SET_ACTION_UNMASK); needed after every INTx interrupt.</summary>
    public void Unmask() => throw new NotImplementedException();

    /// <summary>Masks the vector (VFIO_IRQ_SET_ACTION_MASK), where the index is maskable.</summary>
    public void Mask() => throw new NotImplementedException();
}
