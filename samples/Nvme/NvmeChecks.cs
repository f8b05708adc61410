using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Vfio.Userspace;

namespace Vfio.Samples.Nvme;

/// <summary>
/// The steps the sample runs, in order, each printing one line: <c>ok</c> or <c>FAIL</c>, what was
/// checked, what was seen. A step the next ones depend on throws <see cref="NvmeException"/> when it
/// fails; the others only count the failure.
/// </summary>
internal sealed class NvmeChecks(VfioSession session, MmioRegion bar0, TextWriter output)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Where the pattern goes: 1 MiB from byte offset 1 MiB of the first active namespace.</summary>
    public const long PatternOffset = 1 << 20, PatternBytes = 1 << 20;
    public const int AdminEntries = 32, IoEntries = 64;
    /// <summary>Block counts per command: single blocks, one page, two pages (PRP2 direct), and PRP lists up to the transfer limit.</summary>
    private static readonly int[] WriteChunks = [1, 7, 9, 16, 20, 64, 255, 1, int.MaxValue];
    private static readonly int[] ReadChunks = [int.MaxValue, 3, 128, 1, 33, 500];

    private NvmeController? _controller;
    private QueuePair? _io;
    private IReadOnlyList<InterruptVector> _vectors = [];

    public int Passed { get; private set; }
    public int Failed { get; private set; }

    public IdentifyController? Identity { get; private set; }
    public IdentifyNamespace? Namespace { get; private set; }

    private void Report(bool ok, string check, string detail)
    {
        if (ok) Passed++; else Failed++;
        output.WriteLine($"{(ok ? "ok  " : "FAIL")} {check}: {detail}");
    }

    private void Require(bool ok, string check, string detail)
    {
        Report(ok, check, detail);
        if (!ok) throw new NvmeException($"{check} failed: cannot go on");
    }

    /// <summary>The device must be an NVMe controller (class 01:08:02) before any register is touched.</summary>
    public void PciFunction()
    {
        var config = session.Device.Config;
        uint cls = config.ClassCode;
        var bar = session.Device.GetRegionInfo(VfioPciRegion.Bar0);
        Require(cls == 0x010802, "pci",
            string.Create(Inv, $"{config.VendorId:x4}:{config.DeviceId:x4}, class 0x{cls:x6} ({(cls == 0x010802 ? "NVM Express" : "not an NVMe controller: expected class 0x010802")}), BAR0 {bar.Size} bytes {(bar0.MappedAreas.Count > 0 ? "mmap'ed (" + string.Join(", ", bar0.MappedAreas.Select(a => string.Create(Inv, $"0x{a.Offset:x}+0x{a.Size:x}"))) + ")" : "through the device fd")}"));
        // The controller reads queues and data and writes completions: it must master the bus.
        config.EnableBusMaster();
        // MSI-X vector 0 belongs to the admin queue, vector 1 to I/O queue 1 (the sample polls the
        // admin queue and waits on vector 1 for I/O). Without MSI-X everything is polled.
        try
        {
            var info = session.Device.GetIrqInfo(VfioIrqIndex.MsiX);
            if (info.Count >= 2) _vectors = session.Device.Interrupts.EnableMsix(2);
            Report(true, "interrupts", _vectors.Count > 0
                ? string.Create(Inv, $"MSI-X: 2 of {info.Count} vectors on eventfds (0 admin, 1 I/O queue 1)")
                : string.Create(Inv, $"MSI-X offers {info.Count} vector(s): completions will be polled"));
        }
        catch (VfioException e) when (e.Kind == VfioErrorKind.NotSupported)
        {
            Report(true, "interrupts", "no MSI-X: completions will be polled");
        }
    }

    public void ResetAndEnable()
    {
        _controller = new NvmeController(session, bar0);
        var cap = _controller.Capabilities;
        Require(_controller.Version >= 0x00010000 && cap.MaxQueueEntries >= 2 && cap.SupportsNvmCommandSet, "controller",
            $"NVMe {_controller.VersionText}; {cap}");
        var down = _controller.Disable();
        Report(true, "reset", string.Create(Inv, $"CC.EN = 0, CSTS.RDY = 0 after {down.TotalMilliseconds:0.#} ms"));
        var up = _controller.Enable(AdminEntries);
        var admin = _controller.Admin;
        Report(true, "enable", string.Create(Inv,
            $"admin queues of {admin.Entries} entries (SQ at IOVA 0x{admin.Submissions.Iova:x}, CQ at 0x{admin.Completions.Iova:x}), CC 0x{bar0.Read32(NvmeRegisters.Cc):x8}, CSTS.RDY = 1 after {up.TotalMilliseconds:0.#} ms"));
    }

    public async Task IdentifyAsync()
    {
        var c = _controller!;
        var id = await c.IdentifyControllerAsync();
        Identity = id;
        ushort vendor = session.Device.Config.VendorId;
        Require(id.VendorId == vendor && id.Serial.Length > 0 && id.Model.Length > 0, "identify-controller",
            string.Create(Inv, $"VID {id.VendorId:x4} (config space {vendor:x4}), controller id {id.ControllerId}, {id.NamespaceCount} namespace(s), MDTS {(id.MaxTransferBytes(c.Capabilities.MinPageSize) is { } m ? (m / 1024) + " KiB" : "unlimited")}, SQES 0x{id.SqEntrySizes:x2}, CQES 0x{id.CqEntrySizes:x2}"));
        // Printed exactly, for comparison with /sys/class/nvme/nvmeN/{model,serial,firmware_rev}.
        output.WriteLine($"model: {id.Model}");
        output.WriteLine($"serial: {id.Serial}");
        output.WriteLine($"firmware: {id.Firmware}");
        Report(id.AcceptsEntrySizes(NvmeRegisters.SqEntrySizeLog2, NvmeRegisters.CqEntrySizeLog2), "entry-sizes",
            "64-byte submissions and 16-byte completions (CC.IOSQES 6, CC.IOCQES 4) are within SQES/CQES");

        var active = await c.ActiveNamespacesAsync();
        Require(active.Count > 0, "namespaces", active.Count == 0 ? "no active namespace" : "active: " + string.Join(", ", active));
        var ns = await c.IdentifyNamespaceAsync(active[0]);
        Namespace = ns;
        Require(ns.BlockSize > 0 && ns.MetadataSize == 0 && ns.SizeInBytes >= PatternOffset + PatternBytes && PatternBytes % ns.BlockSize == 0, "identify-namespace",
            string.Create(Inv, $"nsid {ns.NamespaceId}: {ns.SizeInBlocks} blocks of {ns.BlockSize} bytes ({ns.SizeInBytes / (1 << 20)} MiB), LBA format {ns.FormatIndex}, metadata {ns.MetadataSize} bytes{(ns.MetadataSize != 0 ? " (formats with metadata are not handled by this sample)" : "")}"));
    }

    public async Task CreateIoQueuesAsync()
    {
        var c = _controller!;
        var (sqs, cqs) = await c.SetQueueCountAsync(1);
        Require(sqs >= 1 && cqs >= 1, "queue-count", string.Create(Inv, $"asked for 1 I/O queue pair, the controller allocated {sqs} SQ(s) and {cqs} CQ(s)"));
        var vector = _vectors.Count > 1 ? _vectors[1] : null;
        _io = await c.CreateIoQueuePairAsync(1, IoEntries, vector);
        Report(true, "io-queues", string.Create(Inv,
            $"queue pair 1 of {_io.Entries} entries (SQ at IOVA 0x{_io.Submissions.Iova:x}, CQ at 0x{_io.Completions.Iova:x}), {(vector is null ? "polled" : "CQ interrupts on MSI-X vector 1")}"));
    }

    /// <summary>Writes the pattern, reads it back through other PRP shapes, compares; checks an out-of-range read fails properly.</summary>
    public async Task<(ulong RunId, ulong FirstLba, int Blocks)> WriteAndReadBackAsync()
    {
        var c = _controller!;
        var ns = Namespace!;
        int mdts = Identity!.MaxTransferBytes(c.Capabilities.MinPageSize) ?? PrpBuilder.MaxTransferBytes;
        var io = new NamespaceIo(_io!, ns, mdts);
        ulong runId = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        ulong first = (ulong)(PatternOffset / ns.BlockSize);
        int blocks = (int)(PatternBytes / ns.BlockSize);

        using var source = session.Dma.AllocateDma((nuint)PatternBytes, access: DmaAccess.DeviceRead);
        BlockPattern.Fill(source.Span, ns.BlockSize, runId, first);
        var writeChunks = Chunks(WriteChunks, blocks, io.MaxBlocksPerCommand);
        var clock = Stopwatch.StartNew();
        await io.TransferAsync(NvmOpcode.Write, first, source, writeChunks);
        var writeTime = clock.Elapsed;
        int withList = io.CommandsWithPrpList;
        Report(true, "write", string.Create(Inv,
            $"{blocks} blocks (LBA {first}-{first + (ulong)blocks - 1}) in {writeChunks.Count} commands of {writeChunks.Min()}-{writeChunks.Max()} blocks, {withList} with a PRP list, up to {_io!.MaxInFlight} in flight, {Rate(PatternBytes, writeTime)}"));

        await io.FlushAsync();
        Report(true, "flush", "Flush completed");

        using var back = session.Dma.AllocateDma((nuint)PatternBytes, access: DmaAccess.DeviceWrite);
        back.Span.Fill(0xee);
        var readChunks = Chunks(ReadChunks, blocks, io.MaxBlocksPerCommand);
        clock.Restart();
        await io.TransferAsync(NvmOpcode.Read, first, back, readChunks);
        var readTime = clock.Elapsed;
        Report(true, "read", string.Create(Inv,
            $"{blocks} blocks in {readChunks.Count} commands of {readChunks.Min()}-{readChunks.Max()} blocks, {io.CommandsWithPrpList - withList} with a PRP list, {Rate(PatternBytes, readTime)}"));

        var problems = new List<string>();
        for (int i = 0; i < blocks && problems.Count < 5; i++)
        {
            if (BlockPattern.Check(back.Span.Slice(i * ns.BlockSize, ns.BlockSize), runId, first + (ulong)i) is { } p) problems.Add(p);
        }
        Report(problems.Count == 0, "compare", problems.Count == 0
            ? string.Create(Inv, $"all {blocks} blocks read back hold the pattern of run {runId:x16} at their own LBA")
            : "read back differs: " + string.Join("; ", problems));

        // The first LBA past the end of the namespace: the controller must refuse, and say why.
        using var scratch = session.Dma.AllocateDma((nuint)ns.BlockSize, access: DmaAccess.DeviceWrite);
        var status = await io.SingleAsync(NvmOpcode.Read, ns.SizeInBlocks, 1, scratch);
        bool refused = status.SameCodeAs(NvmeStatus.LbaOutOfRange);
        Report(refused, "out-of-range",
            string.Create(Inv, $"a read of LBA {ns.SizeInBlocks} (one past the end) completed with {status}{(refused ? "" : "; expected LBA Out of Range")}"));

        if (_io.Vector is not null)
        {
            // The controller signals vector 1 whenever it posts completions to I/O CQ 1; a wait that
            // found its completion by polling leaves the count in the eventfd, so read that too.
            ulong total = _io.CountInterrupts();
            Report(total > 0, "msi-x", string.Create(Inv, $"{total} interrupt(s) on vector 1 (I/O CQ 1) for {io.Commands} I/O commands"));
        }
        return (runId, first, blocks);
    }

    public async Task ShutdownAsync()
    {
        var c = _controller!;
        if (_io is not null)
        {
            await c.DeleteIoQueuePairAsync(_io);
            _io = null;
            Report(true, "delete-queues", "I/O submission queue 1 then completion queue 1 deleted");
        }
        var t = c.Shutdown();
        Report(true, "shutdown", string.Create(Inv, $"CC.SHN = 01b, CSTS.SHST = 10b (shutdown complete) after {t.TotalMilliseconds:0.#} ms"));
        c.Disable();
    }

    /// <summary>After a failure: stop the controller before its queue memory goes (best effort).</summary>
    public void Abandon()
    {
        try { _controller?.Disable(); }
        catch (NvmeException) { }
        _io?.Dispose();
        _controller?.Dispose();
    }

    private static List<int> Chunks(int[] pattern, int total, int max)
    {
        var chunks = new List<int>();
        for (int i = 0, left = total; left > 0; i++)
        {
            int n = Math.Min(Math.Min(pattern[i % pattern.Length], max), left);
            chunks.Add(n);
            left -= n;
        }
        return chunks;
    }

    private static string Rate(long bytes, TimeSpan t) =>
        string.Create(Inv, $"{t.TotalMilliseconds:0} ms ({bytes / 1048576.0 / Math.Max(t.TotalSeconds, 1e-6):0.0} MiB/s)");
}
