using System.Diagnostics;
using System.Globalization;
using Vfio.Userspace;
using static Vfio.Samples.Edu.EduRegisters;

namespace Vfio.Samples.Edu;

/// <summary>The checks the sample runs, each printing one line: <c>ok</c> or <c>FAIL</c>, what was checked, what was seen.</summary>
internal sealed class EduChecks(VfioSession session, MmioRegion bar0, TextWriter output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public int Passed { get; private set; }
    public int Failed { get; private set; }

    private void Report(bool ok, string check, string detail)
    {
        if (ok) Passed++; else Failed++;
        output.WriteLine($"{(ok ? "ok  " : "FAIL")} {check}: {detail}");
    }

    public void Identify()
    {
        var config = session.Device.Config;
        ushort vendor = config.VendorId, device = config.DeviceId;
        Report(vendor == VendorId && device == DeviceId, "identify",
            string.Create(Inv, $"config space {vendor:x4}:{device:x4} (expected {VendorId:x4}:{DeviceId:x4})"));
        var info = session.Device.GetRegionInfo(VfioPciRegion.Bar0);
        Report(info.Size == Bar0Size, "bar0", string.Create(Inv, $"BAR0 {info.Size} bytes, {(bar0.MappedAreas.Count > 0 ? "mmap'ed" : "through the device fd")} (expected {Bar0Size})"));
        uint id = bar0.Read32(Identification);
        Report((id & 0xff) == 0xed, "identify", string.Create(Inv, $"id register 0x{id:x8}: edu {id >> 24}.{(id >> 16) & 0xff}"));
        var msi = config.FindCapability(PciCapabilityId.Msi);
        Report(msi is not null, "capabilities",
            $"{string.Join(", ", config.Capabilities.Select(c => string.Create(Inv, $"{c.Id}@0x{c.Offset:x2}")))}{(config.Capabilities.Problem is { } p ? " (" + p + ")" : "")}");
    }

    public void Liveness()
    {
        bool ok = true;
        var seen = new List<string>();
        foreach (uint value in new uint[] { 0x12345678, 0x00000000, 0xffffffff, 0xa5a5a5a5 })
        {
            bar0.Write32(EduRegisters.Liveness, value);
            uint back = bar0.Read32(EduRegisters.Liveness);
            ok &= back == ~value;
            seen.Add(string.Create(Inv, $"0x{value:x8}->0x{back:x8}"));
        }
        Report(ok, "liveness", "inverse read back: " + string.Join(" ", seen));
    }

    public async Task FactorialWithMsiAsync(InterruptVector msi)
    {
        msi.TryRead(out _);
        bar0.Write32(Status, StatusIrqOnFactorial);
        var sw = Stopwatch.StartNew();
        bar0.Write32(EduRegisters.Factorial, 10);
        using var cts = new CancellationTokenSource(Timeout);
        ulong count;
        try
        {
            count = await msi.WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Report(false, "factorial", string.Create(Inv, $"no MSI within {Timeout.TotalSeconds} s (status 0x{bar0.Read32(Status):x}, interrupt status 0x{bar0.Read32(InterruptStatus):x})"));
            return;
        }
        uint irqStatus = bar0.Read32(InterruptStatus);
        bar0.Write32(InterruptAck, irqStatus);
        uint result = bar0.Read32(EduRegisters.Factorial);
        bar0.Write32(Status, 0);
        Report(result == 3628800 && (irqStatus & FactorialIrq) != 0, "factorial",
            string.Create(Inv, $"10! = {result} (expected 3628800), MSI awaited ({count} interrupt(s), status 0x{irqStatus:x}) in {sw.ElapsedMilliseconds} ms"));
    }

    public async Task DmaRoundTripAsync(InterruptVector msi)
    {
        using var buffer = session.AllocateDma(2 * TransferSize, DmaMask);
        var random = new Random(0x5eed);
        random.NextBytes(buffer.Span[..TransferSize]);
        buffer.Span[TransferSize..].Clear();
        bool sent = await DmaAsync(msi, buffer.Iova, DeviceBuffer, TransferSize, toRam: false);
        bool received = sent && await DmaAsync(msi, DeviceBuffer, buffer.Iova + TransferSize, TransferSize, toRam: true);
        bool same = received && buffer.Span[..TransferSize].SequenceEqual(buffer.Span[TransferSize..]);
        Report(same, "dma",
            string.Create(Inv, $"{TransferSize} random bytes RAM -> device -> RAM through the IOMMU at IOVA 0x{buffer.Iova:x} ({(buffer.HugePages ? "2 MiB" : "4 KiB")} pages): {(same ? "identical" : sent ? received ? "DIFFERENT" : "device-to-RAM DMA did not finish" : "RAM-to-device DMA did not finish")}"));
    }

    public async Task UnmappedDmaBlockedAsync(InterruptVector msi)
    {
        // A buffer that was mapped, filled with a marker, then unmapped from the IOMMU: its IOVA is
        // now a hole. A DMA to it must fault in the IOMMU and leave the memory as it was.
        using var target = session.AllocateDma(TransferSize, DmaMask);
        target.Span.Fill(0xa5);
        ulong hole = target.Iova;
        ulong unmapped = session.Dma.UnmapDma(hole, target.Length);
        bool finished = await DmaAsync(msi, DeviceBuffer, hole, TransferSize, toRam: true);
        int changed = 0;
        foreach (byte b in target.Span) if (b != 0xa5) changed++;
        Report(finished && unmapped == target.Length && changed == 0, "iommu",
            string.Create(Inv, $"DMA to unmapped IOVA 0x{hole:x}: {(finished ? "command finished" : "command did not finish")}, {changed} of {target.Length} bytes of the memory once mapped there changed (expected 0: blocked by the IOMMU)"));
    }

    /// <summary>Runs one edu DMA and waits for its interrupt (falling back to the command register).</summary>
    private async Task<bool> DmaAsync(InterruptVector msi, ulong source, ulong destination, int count, bool toRam)
    {
        msi.TryRead(out _);
        bar0.Write64(DmaSource, source);
        bar0.Write64(DmaDestination, destination);
        bar0.Write64(DmaCount, (ulong)count);
        bar0.Write64(DmaCommand, DmaStart | DmaIrqWhenDone | (toRam ? DmaToRam : 0));
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await msi.WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        uint irqStatus = bar0.Read32(InterruptStatus);
        bar0.Write32(InterruptAck, irqStatus);
        return (bar0.Read64(DmaCommand) & DmaStart) == 0 && (irqStatus & DmaIrq) != 0;
    }
}
