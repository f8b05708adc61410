using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Vfio.Userspace;
using static Vfio.Samples.Nvme.NvmeRegisters;

namespace Vfio.Samples.Nvme;

/// <summary>
/// An NVMe controller driven through BAR0 and DMA buffers of a <see cref="VfioSession"/>: reset and
/// enable (NVMe base specification, "Controller Initialization"), the admin queue pair, Identify,
/// queue count, I/O queue pairs, and a normal shutdown. Admin completions are polled by phase tag.
/// </summary>
internal sealed class NvmeController : IDisposable
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    /// <summary>How long one admin command may take; generous because the lab emulates everything.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly VfioSession _session;
    private readonly MmioRegion _bar0;
    private QueuePair? _admin;

    public NvmeController(VfioSession session, MmioRegion bar0)
    {
        _session = session;
        _bar0 = bar0;
        Capabilities = new ControllerCapabilities(bar0.Read64(Cap));
        Version = bar0.Read32(Vs);
    }

    public ControllerCapabilities Capabilities { get; }

    /// <summary>The VS register: major 31:16, minor 15:8, tertiary 7:0.</summary>
    public uint Version { get; }

    public string VersionText => string.Create(Inv, $"{Version >> 16}.{(Version >> 8) & 0xff}.{Version & 0xff}");

    public QueuePair Admin => _admin ?? throw new InvalidOperationException("the controller is not enabled");

    public uint Status => _bar0.Read32(Csts);

    /// <summary>
    /// How long to wait for CSTS.RDY: CAP.TO, but at least 10 s (emulated controllers under TCG are
    /// slow to be scheduled, not slow to get ready).
    /// </summary>
    private TimeSpan ReadyTimeout => Capabilities.ReadyTimeout > TimeSpan.FromSeconds(10) ? Capabilities.ReadyTimeout : TimeSpan.FromSeconds(10);

    /// <summary>Clears CC.EN and waits for CSTS.RDY to drop: the controller resets, every queue is gone.</summary>
    public TimeSpan Disable()
    {
        var clock = Stopwatch.StartNew();
        uint cc = _bar0.Read32(Cc);
        // A controller that is still getting ready must become ready before it may be disabled.
        if ((cc & CcEnable) != 0) WaitStatus(CstsReady, CstsReady, "CSTS.RDY = 1 before reset (CC.EN was already 1)");
        _bar0.Write32(Cc, cc & ~CcEnable);
        WaitStatus(CstsReady, 0, "CSTS.RDY = 0 after CC.EN = 0");
        _admin?.Dispose();
        _admin = null;
        return clock.Elapsed;
    }

    /// <summary>
    /// Allocates the admin queues, programs AQA/ASQ/ACQ, sets CC (NVM command set, 4 KiB pages,
    /// round robin, 64/16-byte entries) with EN, and waits for CSTS.RDY.
    /// </summary>
    public TimeSpan Enable(int adminEntries)
    {
        if ((_bar0.Read32(Cc) & CcEnable) != 0) throw new InvalidOperationException("disable the controller first");
        if (Capabilities.MinPageSize > PageSize)
            throw new NvmeException($"the controller's smallest memory page is {Capabilities.MinPageSize} bytes; this driver uses {PageSize}-byte pages");
        if (!Capabilities.SupportsNvmCommandSet) throw new NvmeException("the controller does not support the NVM command set (CAP.CSS bit 0)");
        adminEntries = Math.Min(adminEntries, Math.Min(Capabilities.MaxQueueEntries, 4096));
        _admin = QueuePair.Allocate(_session, _bar0, 0, adminEntries, Capabilities.DoorbellStride, withPrpLists: false, vector: null);
        _bar0.Write32(Aqa, (uint)(adminEntries - 1) << 16 | (uint)(adminEntries - 1));
        _bar0.Write64(Asq, _admin.Submissions.Iova);
        _bar0.Write64(Acq, _admin.Completions.Iova);
        var clock = Stopwatch.StartNew();
        uint cc = 0u << CcCssShift | 0u << CcMpsShift | 0u << CcAmsShift
                | (uint)SqEntrySizeLog2 << CcIosqesShift | (uint)CqEntrySizeLog2 << CcIocqesShift;
        _bar0.Write32(Cc, cc);
        _bar0.Write32(Cc, cc | CcEnable);
        WaitStatus(CstsReady, CstsReady, "CSTS.RDY = 1 after CC.EN = 1");
        return clock.Elapsed;
    }

    /// <summary>Submits an admin command, waits for it, and throws on an error status.</summary>
    public async Task<CompletionQueueEntry> AdminAsync(SubmissionQueueEntry command, string what)
    {
        ushort id = Admin.Submit(command);
        var entry = await Admin.WaitAsync(id, CommandTimeout, () => what);
        if (!entry.Status.IsSuccess) throw new NvmeException($"{what} failed: {entry.Status}", entry.Status);
        return entry;
    }

    /// <summary>Identify with CNS 01h into a fresh 4 KiB buffer.</summary>
    public async Task<IdentifyController> IdentifyControllerAsync()
    {
        using var data = _session.AllocateDma(IdentifyController.Size);
        await AdminAsync(Identify(cns: 0x01, nsid: 0, data), "Identify Controller (CNS 01h)");
        return IdentifyController.Parse(data.Span);
    }

    /// <summary>Identify with CNS 02h: the active namespace ids (up to 1024, ascending, zero-terminated).</summary>
    public async Task<IReadOnlyList<uint>> ActiveNamespacesAsync()
    {
        using var data = _session.AllocateDma(4096);
        await AdminAsync(Identify(cns: 0x02, nsid: 0, data), "Identify Active Namespace ID list (CNS 02h)");
        var ids = new List<uint>();
        for (int i = 0; i < 1024; i++)
        {
            uint id = BinaryPrimitives.ReadUInt32LittleEndian(data.Span[(4 * i)..]);
            if (id == 0) break;
            ids.Add(id);
        }
        return ids;
    }

    /// <summary>Identify with CNS 00h for one namespace.</summary>
    public async Task<IdentifyNamespace> IdentifyNamespaceAsync(uint nsid)
    {
        using var data = _session.AllocateDma(4096);
        await AdminAsync(Identify(cns: 0x00, nsid, data), string.Create(Inv, $"Identify Namespace {nsid} (CNS 00h)"));
        return IdentifyNamespace.Parse(nsid, data.Span);
    }

    private static SubmissionQueueEntry Identify(uint cns, uint nsid, DmaBuffer data) => new()
    {
        Opcode = (byte)AdminOpcode.Identify,
        NamespaceId = nsid,
        Prp1 = data.Iova, // page aligned and 4 KiB long: PRP1 alone covers it
        Cdw10 = cns,
    };

    /// <summary>
    /// Set Features, Number of Queues (feature 07h): asks for <paramref name="pairs"/> I/O SQs and CQs
    /// (0's based in CDW11) and returns what the controller allocated (0's based in DW0 of the completion).
    /// Must come before the first I/O queue is created.
    /// </summary>
    public async Task<(int SubmissionQueues, int CompletionQueues)> SetQueueCountAsync(int pairs)
    {
        var entry = await AdminAsync(new SubmissionQueueEntry
        {
            Opcode = (byte)AdminOpcode.SetFeatures,
            Cdw10 = 0x07,
            Cdw11 = (uint)(pairs - 1) << 16 | (uint)(pairs - 1),
        }, "Set Features Number of Queues");
        return ((int)(entry.Result & 0xffff) + 1, (int)(entry.Result >> 16) + 1);
    }

    /// <summary>
    /// Create I/O Completion Queue then Create I/O Submission Queue (opcodes 05h, 01h) with id
    /// <paramref name="id"/>; the CQ interrupts on MSI-X vector <paramref name="vector"/> when one is given.
    /// </summary>
    public async Task<QueuePair> CreateIoQueuePairAsync(ushort id, int entries, InterruptVector? vector)
    {
        entries = Math.Min(entries, Capabilities.MaxQueueEntries);
        var pair = QueuePair.Allocate(_session, _bar0, id, entries, Capabilities.DoorbellStride, withPrpLists: true, vector);
        try
        {
            uint size = (uint)(entries - 1) << 16 | id;
            // CDW11 of Create I/O CQ: PC (bit 0) physically contiguous, IEN (bit 1), IV (31:16).
            uint cqFlags = 1u | (vector is null ? 0 : 2u | (uint)vector.Vector << 16);
            await AdminAsync(new SubmissionQueueEntry { Opcode = (byte)AdminOpcode.CreateIoCompletionQueue, Prp1 = pair.Completions.Iova, Cdw10 = size, Cdw11 = cqFlags },
                string.Create(Inv, $"Create I/O Completion Queue {id}"));
            // CDW11 of Create I/O SQ: PC (bit 0), QPRIO 2:1 (ignored under round robin), CQID 31:16.
            await AdminAsync(new SubmissionQueueEntry { Opcode = (byte)AdminOpcode.CreateIoSubmissionQueue, Prp1 = pair.Submissions.Iova, Cdw10 = size, Cdw11 = 1u | (uint)id << 16 },
                string.Create(Inv, $"Create I/O Submission Queue {id}"));
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    /// <summary>Delete I/O Submission Queue, then Delete I/O Completion Queue (the order the specification requires), then frees the memory.</summary>
    public async Task DeleteIoQueuePairAsync(QueuePair pair)
    {
        await AdminAsync(new SubmissionQueueEntry { Opcode = (byte)AdminOpcode.DeleteIoSubmissionQueue, Cdw10 = pair.Id }, string.Create(Inv, $"Delete I/O Submission Queue {pair.Id}"));
        await AdminAsync(new SubmissionQueueEntry { Opcode = (byte)AdminOpcode.DeleteIoCompletionQueue, Cdw10 = pair.Id }, string.Create(Inv, $"Delete I/O Completion Queue {pair.Id}"));
        pair.Dispose();
    }

    /// <summary>Normal shutdown: CC.SHN = 01b, wait for CSTS.SHST = 10b (the controller has flushed and stopped).</summary>
    public TimeSpan Shutdown()
    {
        var clock = Stopwatch.StartNew();
        uint cc = _bar0.Read32(Cc);
        _bar0.Write32(Cc, (cc & ~CcShnMask) | CcShnNormal);
        WaitStatus(CstsShstMask, CstsShstComplete, "CSTS.SHST = 10b (shutdown complete) after CC.SHN = 01b");
        return clock.Elapsed;
    }

    private void WaitStatus(uint mask, uint value, string what)
    {
        var clock = Stopwatch.StartNew();
        var timeout = ReadyTimeout;
        while (true)
        {
            uint csts = _bar0.Read32(Csts);
            if (csts == uint.MaxValue)
                throw new NvmeException($"waiting for {what}: CSTS reads 0xffffffff, the device no longer answers (surprise removal or a failed reset)");
            if ((csts & CstsFatal) != 0 && (mask & CstsFatal) == 0)
                throw new NvmeException(string.Create(Inv, $"waiting for {what}: the controller reports a fatal status (CSTS 0x{csts:x})"));
            if ((csts & mask) == value) return;
            if (clock.Elapsed > timeout)
                throw new NvmeException(string.Create(Inv, $"waiting for {what}: not reached within {timeout.TotalSeconds:0.#} s (CSTS 0x{csts:x}, CC 0x{_bar0.Read32(Cc):x})"));
            Thread.Sleep(1);
        }
    }

    /// <summary>Frees the admin queue memory (disable or shut down the controller first).</summary>
    public void Dispose()
    {
        _admin?.Dispose();
        _admin = null;
    }
}
