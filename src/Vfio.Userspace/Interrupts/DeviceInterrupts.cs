namespace Vfio.Userspace;

/// <summary>
/// A device's interrupts: each enabled vector is an eventfd the kernel signals
/// (VFIO_DEVICE_SET_IRQS with DATA_EVENTFD | ACTION_TRIGGER). One index is active at a time on
/// vfio-pci: enabling another disables the current one first. Owned by <see cref="VfioDevice"/>.
/// </summary>
public sealed class DeviceInterrupts : IDisposable
{
    internal DeviceInterrupts(VfioDevice device) => throw new NotImplementedException();

    /// <summary>The index currently enabled, or null.</summary>
    public VfioIrqIndex? ActiveIndex => throw new NotImplementedException();

    /// <summary>The vectors of <see cref="ActiveIndex"/>.</summary>
    public IReadOnlyList<InterruptVector> Vectors => throw new NotImplementedException();

    /// <summary>Enables INTx with one eventfd. The kernel masks the line after each interrupt; call <see cref="InterruptVector.Unmask"/> after handling it.</summary>
    public InterruptVector EnableIntx() => throw new NotImplementedException();

    /// <summary>Enables <paramref name="count"/> MSI vectors (at most what the device's MSI capability offers).</summary>
    public IReadOnlyList<InterruptVector> EnableMsi(int count = 1) => throw new NotImplementedException();

    /// <summary>Enables <paramref name="count"/> MSI-X vectors.</summary>
    public IReadOnlyList<InterruptVector> EnableMsix(int count) => throw new NotImplementedException();

    /// <summary>VFIO_DEVICE_SET_IRQS with DATA_NONE | ACTION_TRIGGER and count 0: disables the index and closes its eventfds.</summary>
    public void Disable(VfioIrqIndex index) => throw new NotImplementedException();

    /// <summary>Disables the active index and stops the waiter thread.</summary>
    public void Dispose() => throw new NotImplementedException();
}
