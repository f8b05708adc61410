using System.Diagnostics;
using System.Globalization;
using Vfio.Userspace;

namespace Vfio.Samples.Nvme;

/// <summary>
/// One submission queue and its completion queue (the admin pair has id 0), each in its own DMA
/// buffer, plus one PRP-list page per command slot. Commands get an identifier from a pool of
/// <c>entries - 1</c> slots, so the submission queue can never overflow; completions are found by
/// the phase tag (the controller inverts the tag each time it wraps around the queue), collected by
/// identifier, and their slot returns to the pool. Not thread-safe: one driver thread per queue.
/// </summary>
internal sealed class QueuePair : IDisposable
{
    private readonly MmioRegion _bar0;
    private readonly ulong _sqTailDoorbell;
    private readonly ulong _cqHeadDoorbell;
    // CPU addresses of the queue and PRP-list memory, valid until Dispose.
    private readonly nint _sq;
    private readonly nint _cq;
    private readonly nint _prpLists;
    private readonly Stack<ushort> _freeIds = new();
    private readonly Dictionary<ushort, CompletionQueueEntry> _done = [];
    private readonly HashSet<ushort> _inFlight = [];
    private ushort _sqTail;
    private ushort _cqHead;
    private bool _phase = true;

    private QueuePair(ushort id, int entries, DmaBuffer sq, DmaBuffer cq, DmaBuffer? prpLists, MmioRegion bar0, int doorbellStride, InterruptVector? vector)
    {
        Id = id;
        Entries = entries;
        Submissions = sq;
        Completions = cq;
        PrpLists = prpLists;
        Vector = vector;
        _bar0 = bar0;
        _sqTailDoorbell = NvmeRegisters.DoorbellBase + (ulong)(2 * id * doorbellStride);
        _cqHeadDoorbell = NvmeRegisters.DoorbellBase + (ulong)((2 * id + 1) * doorbellStride);
        _sq = (nint)sq.Address;
        _cq = (nint)cq.Address;
        _prpLists = prpLists is null ? 0 : (nint)prpLists.Address;
        for (int i = entries - 2; i >= 0; i--) _freeIds.Push((ushort)i);
    }

    /// <summary>
    /// Allocates the queues' memory from the session (IOVA-contiguous, so a queue larger than a page
    /// is still one physically contiguous range in the device's view, as CC/CQR requires).
    /// </summary>
    public static unsafe QueuePair Allocate(VfioSession session, MmioRegion bar0, ushort id, int entries, int doorbellStride, bool withPrpLists, InterruptVector? vector)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(entries, 2);
        DmaBuffer? sq = null, cq = null, prp = null;
        try
        {
            sq = session.AllocateDma((nuint)(entries * sizeof(SubmissionQueueEntry)));
            cq = session.AllocateDma((nuint)(entries * sizeof(CompletionQueueEntry)));
            // The controller only reads submissions and PRP lists and only writes completions.
            if (withPrpLists) prp = session.AllocateDma((nuint)((entries - 1) * NvmeRegisters.PageSize));
            sq.Span.Clear();
            cq.Span.Clear();
            return new QueuePair(id, entries, sq, cq, prp, bar0, doorbellStride, vector);
        }
        catch
        {
            prp?.Dispose();
            cq?.Dispose();
            sq?.Dispose();
            throw;
        }
    }

    /// <summary>Queue identifier: 0 for the admin queues.</summary>
    public ushort Id { get; }

    /// <summary>Entries in each of the two queues.</summary>
    public int Entries { get; }

    public DmaBuffer Submissions { get; }
    public DmaBuffer Completions { get; }
    public DmaBuffer? PrpLists { get; }

    /// <summary>The MSI-X vector the completion queue interrupts on, or null when completions are only polled.</summary>
    public InterruptVector? Vector { get; }

    /// <summary>Interrupts counted on <see cref="Vector"/> so far (by waits, and by <see cref="CountInterrupts"/>).</summary>
    public ulong InterruptsSeen { get; private set; }

    /// <summary>Adds the interrupts that arrived without a waiter (completions found by polling first) and returns the total.</summary>
    public ulong CountInterrupts()
    {
        if (Vector is { } vector && vector.TryRead(out ulong more)) InterruptsSeen += more;
        return InterruptsSeen;
    }

    /// <summary>Commands submitted and not yet collected.</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>The most commands that were in flight at once.</summary>
    public int MaxInFlight { get; private set; }

    /// <summary>Takes a free command identifier; false when every slot is in flight.</summary>
    public bool TryReserve(out ushort commandId) => _freeIds.TryPop(out commandId);

    /// <summary>The PRP-list page that belongs to a reserved identifier: its entries and its IOVA.</summary>
    public unsafe Span<ulong> PrpListFor(ushort commandId, out ulong iova)
    {
        if (PrpLists is null) throw new InvalidOperationException($"queue {Id} has no PRP-list pages");
        int perPage = NvmeRegisters.PageSize / sizeof(ulong);
        iova = PrpLists.IovaAt((nuint)(commandId * NvmeRegisters.PageSize));
        return new Span<ulong>((ulong*)_prpLists + commandId * perPage, perPage);
    }

    /// <summary>Writes the entry at the tail with <paramref name="commandId"/> and rings the tail doorbell.</summary>
    public unsafe void Submit(ushort commandId, SubmissionQueueEntry entry)
    {
        if (!_inFlight.Add(commandId)) throw new InvalidOperationException($"command id {commandId} is already in flight on queue {Id}");
        entry.CommandId = commandId;
        ((SubmissionQueueEntry*)_sq)[_sqTail] = entry;
        _sqTail = (ushort)((_sqTail + 1) % Entries);
        MaxInFlight = Math.Max(MaxInFlight, _inFlight.Count);
        // x86 keeps stores in order, and the doorbell is a volatile store to uncached MMIO: the
        // controller sees the entry before it sees the new tail.
        _bar0.Write32(_sqTailDoorbell, _sqTail);
    }

    /// <summary>Reserves an identifier, submits, and returns the identifier.</summary>
    public ushort Submit(SubmissionQueueEntry entry)
    {
        if (!TryReserve(out ushort id)) throw new InvalidOperationException($"queue {Id} has {InFlight} commands in flight: collect some first");
        Submit(id, entry);
        return id;
    }

    /// <summary>Waits for one command's completion, collects it and frees its identifier.</summary>
    public async Task<CompletionQueueEntry> WaitAsync(ushort commandId, TimeSpan timeout, Func<string> describe)
    {
        if (!_inFlight.Contains(commandId)) throw new InvalidOperationException($"command id {commandId} is not in flight on queue {Id}");
        var clock = Stopwatch.StartNew();
        var spin = new SpinWait();
        while (true)
        {
            Drain();
            if (_done.Remove(commandId, out var entry))
            {
                _inFlight.Remove(commandId);
                _freeIds.Push(commandId);
                return entry;
            }
            if (clock.Elapsed > timeout)
                throw new NvmeException(string.Create(CultureInfo.InvariantCulture,
                    $"{describe()} on queue {Id} did not complete within {timeout.TotalSeconds:0} s (SQ tail {_sqTail}, CQ head {_cqHead}, phase {(_phase ? 1 : 0)})"));
            if (Vector is { } vector)
            {
                // The eventfd counts interrupts that came before the wait too, so none is lost; the
                // short slice only bounds the cost of a completion posted without one.
                using var slice = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
                try { InterruptsSeen += await vector.WaitAsync(slice.Token); }
                catch (OperationCanceledException) { }
            }
            else
            {
                // Polling: spin briefly, then yield and sleep so the emulator's threads get the CPU.
                spin.SpinOnce(sleep1Threshold: 30);
            }
        }
    }

    /// <summary>Consumes every new completion (phase tag equals the expected phase) and rings the head doorbell once.</summary>
    private unsafe void Drain()
    {
        bool any = false;
        while (true)
        {
            CompletionQueueEntry* slot = (CompletionQueueEntry*)_cq + _cqHead;
            // Read the dword with the phase tag first, then the rest: the volatile read keeps the
            // later reads after it, so a fresh tag never pairs with a stale body.
            ushort statusAndPhase = Volatile.Read(ref *(ushort*)((byte*)slot + 14));
            if (((statusAndPhase & 1) != 0) != _phase) break;
            var entry = *slot;
            if (!_inFlight.Contains(entry.CommandId) || _done.ContainsKey(entry.CommandId))
                throw new NvmeException(string.Create(CultureInfo.InvariantCulture,
                    $"queue {Id} posted a completion for command id {entry.CommandId}, which is not in flight (status {entry.Status})"));
            _done[entry.CommandId] = entry;
            _cqHead = (ushort)((_cqHead + 1) % Entries);
            if (_cqHead == 0) _phase = !_phase;
            any = true;
        }
        if (any) _bar0.Write32(_cqHeadDoorbell, _cqHead);
    }

    /// <summary>Frees the queues' memory (delete the queues on the controller, or disable it, first).</summary>
    public void Dispose()
    {
        PrpLists?.Dispose();
        Completions.Dispose();
        Submissions.Dispose();
    }
}
