using Vfio.Userspace;

namespace Vfio.RealKernel.Tests.Userspace;

/// <summary>The edu devices of the basic topology and the registers the tests use (kernel-facts section 6).</summary>
internal static class Edu
{
    /// <summary>edu on the root bus, alone in IOMMU group 1.</summary>
    public static readonly PciAddress Alone = PciAddress.Parse("0000:00:02.0");
    /// <summary>edu behind the pcie-pci-bridge, in group 4 with the bridge and an e1000.</summary>
    public static readonly PciAddress BehindBridge = PciAddress.Parse("0000:03:02.0");
    public static readonly PciAddress E1000 = PciAddress.Parse("0000:03:01.0");
    public static readonly PciAddress Bridge = PciAddress.Parse("0000:00:05.0");

    public const ulong Id = 0x00, Liveness = 0x04, Factorial = 0x08, Status = 0x20, IrqStatus = 0x24, IrqRaise = 0x60, IrqAck = 0x64;
    public const ulong DmaSource = 0x80, DmaDestination = 0x88, DmaCount = 0x90, DmaCommand = 0x98;
    public const ulong DeviceBuffer = 0x40000;
    public const ulong DmaMask = (1UL << 28) - 1;
    /// <summary>Below 4096: QEMU 7.2's edu aborts the VM on a transfer that ends at its buffer's end.</summary>
    public const int Transfer = 2048;

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Runs one DMA and waits for edu's completion interrupt; false if it did not come.</summary>
    public static async Task<bool> DmaAsync(MmioRegion bar, InterruptVector irq, ulong source, ulong destination, int count, bool toRam)
    {
        irq.TryRead(out _);
        bar.Write64(DmaSource, source);
        bar.Write64(DmaDestination, destination);
        bar.Write64(DmaCount, (ulong)count);
        bar.Write64(DmaCommand, 1 | 4 | (toRam ? 2UL : 0));
        using var cts = new CancellationTokenSource(Timeout);
        try { await irq.WaitAsync(cts.Token); }
        catch (OperationCanceledException) { return false; }
        bar.Write32(IrqAck, bar.Read32(IrqStatus));
        return (bar.Read64(DmaCommand) & 1) == 0;
    }
}

/// <summary>
/// What every edu DMA test starts from: the lone edu bound to vfio-pci and opened, BAR0 mapped,
/// bus mastering on and one MSI vector for the completion interrupt. Disposed in reverse: BAR,
/// session, then the binding is restored.
/// </summary>
internal sealed class EduDma : IDisposable
{
    private readonly VfioBinding _binding;

    public VfioSession Session { get; }
    public MmioRegion Bar { get; }
    public InterruptVector Irq { get; }

    private EduDma(VfioBinding binding, VfioSession session, MmioRegion bar, InterruptVector irq) =>
        (_binding, Session, Bar, Irq) = (binding, session, bar, irq);

    public static EduDma Open(VfioBackend backend = VfioBackend.Auto)
    {
        var binding = VfioBinding.ToVfio(Edu.Alone);
        VfioSession? session = null;
        MmioRegion? bar = null;
        try
        {
            session = VfioSession.Open(Edu.Alone, new VfioSessionOptions { Backend = backend });
            bar = session.Device.MapBar(0);
            session.Device.Config.EnableBusMaster();
            var irq = session.Device.Interrupts.EnableMsi(1)[0];
            return new EduDma(binding, session, bar, irq);
        }
        catch
        {
            bar?.Dispose();
            session?.Dispose();
            binding.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Bar.Dispose();
        Session.Dispose();
        _binding.Dispose();
    }
}

/// <summary>What a session's teardown must leave, whichever backend it used: nothing usable, the group free, the device unbindable at once.</summary>
internal static class SessionTeardown
{
    /// <summary>Disposes <paramref name="session"/> twice and checks the lone edu's BAR, buffer, group and driver afterwards.</summary>
    public static async Task AssertReleasedAsync(VfioSession session, MmioRegion bar, DmaBuffer buffer)
    {
        session.Dispose();
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(() => bar.Read32(0));
        Assert.Throws<ObjectDisposedException>(() => buffer.Span.Length);
        using (var group = VfioGroup.Open(1))
            Assert.Equal(VfioGroupFlags.Viable, group.GetStatus());

        // With a device fd still open, unbind would block in the kernel; after teardown it returns at once.
        var unbind = Task.Run(() => Guest.WriteSysfs($"/sys/bus/pci/devices/{Edu.Alone}/driver/unbind", Edu.Alone.ToString()), TestContext.Current.CancellationToken);
        Assert.True(await Task.WhenAny(unbind, Task.Delay(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken)) == unbind, "unbind blocked: something still holds the device");
        Assert.Null(Guest.DriverOf(Edu.Alone));
    }
}
