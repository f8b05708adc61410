using System.Globalization;
using Vfio.Userspace;

namespace Vfio.Samples.Nvme;

/// <summary>
/// Reads, writes and flushes one namespace through an I/O queue pair: each transfer is one NVM
/// command (opcode, NSID, PRPs, SLBA in CDW10-11, 0's based block count in CDW12), with as many in
/// flight as the queue has slots.
/// </summary>
internal sealed class NamespaceIo(QueuePair queue, IdentifyNamespace ns, int maxTransferBytes)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    public IdentifyNamespace Namespace { get; } = ns;

    /// <summary>The most blocks one command may carry: MDTS, the PRP list page, and 65536 (CDW12 has 16 bits).</summary>
    public int MaxBlocksPerCommand { get; } = Math.Min(65536, Math.Min(maxTransferBytes, PrpBuilder.MaxTransferBytes) / ns.BlockSize);

    /// <summary>Commands issued so far, and how many of them needed a PRP list.</summary>
    public int Commands { get; private set; }
    public int CommandsWithPrpList { get; private set; }

    /// <summary>
    /// Transfers <paramref name="chunks"/> (block counts, in order) between consecutive LBAs from
    /// <paramref name="firstLba"/> and consecutive bytes of <paramref name="buffer"/> from offset 0.
    /// Throws on the first failed command, after every submitted command has completed.
    /// </summary>
    public async Task TransferAsync(NvmOpcode opcode, ulong firstLba, DmaBuffer buffer, IReadOnlyList<int> chunks)
    {
        var pending = new Queue<(ushort Id, ulong Lba, int Blocks)>();
        NvmeException? failure = null;
        ulong lba = firstLba;
        nuint offset = 0;
        foreach (int blocks in chunks)
        {
            if (blocks < 1 || blocks > MaxBlocksPerCommand) throw new ArgumentOutOfRangeException(nameof(chunks), blocks, $"a command carries 1 to {MaxBlocksPerCommand} blocks");
            ushort id;
            while (!queue.TryReserve(out id)) failure ??= await CollectAsync(opcode, pending.Dequeue());
            int bytes = blocks * Namespace.BlockSize;
            if (SubmitReadWrite(id, opcode, lba, blocks, buffer.IovaAt(offset))) CommandsWithPrpList++;
            pending.Enqueue((id, lba, blocks));
            lba += (ulong)blocks;
            offset += (nuint)bytes;
        }
        while (pending.Count > 0) failure ??= await CollectAsync(opcode, pending.Dequeue());
        if (failure is not null) throw failure;
    }

    /// <summary>One command of <paramref name="blocks"/> blocks at LBA <paramref name="lba"/>; returns its completion status.</summary>
    public async Task<NvmeStatus> SingleAsync(NvmOpcode opcode, ulong lba, int blocks, DmaBuffer buffer)
    {
        if (!queue.TryReserve(out ushort id)) throw new InvalidOperationException("the queue is full");
        SubmitReadWrite(id, opcode, lba, blocks, buffer.Iova);
        var entry = await queue.WaitAsync(id, CommandTimeout, () => string.Create(Inv, $"{opcode} of {blocks} block(s) at LBA {lba}"));
        return entry.Status;
    }

    /// <summary>
    /// Submits a read or write of <paramref name="blocks"/> blocks at <paramref name="lba"/> under
    /// command <paramref name="id"/>, data at <paramref name="iova"/>; true if it needed a PRP list.
    /// </summary>
    private bool SubmitReadWrite(ushort id, NvmOpcode opcode, ulong lba, int blocks, ulong iova)
    {
        var list = queue.PrpListFor(id, out ulong listIova);
        bool usedList = PrpBuilder.Build(iova, blocks * Namespace.BlockSize, list, listIova, out ulong prp1, out ulong prp2) > 0;
        queue.Submit(id, new SubmissionQueueEntry
        {
            Opcode = (byte)opcode,
            NamespaceId = Namespace.NamespaceId,
            Prp1 = prp1,
            Prp2 = prp2,
            Cdw10 = (uint)lba,           // starting LBA, low and high dwords
            Cdw11 = (uint)(lba >> 32),
            Cdw12 = (uint)(blocks - 1),  // number of logical blocks, 0-based
        });
        Commands++;
        return usedList;
    }

    /// <summary>Flush (opcode 00h): the controller commits volatile write cache contents to the medium.</summary>
    public async Task FlushAsync()
    {
        ushort id = queue.Submit(new SubmissionQueueEntry { Opcode = (byte)NvmOpcode.Flush, NamespaceId = Namespace.NamespaceId });
        Commands++;
        var entry = await queue.WaitAsync(id, CommandTimeout, () => "Flush");
        if (!entry.Status.IsSuccess) throw new NvmeException($"Flush failed: {entry.Status}", entry.Status);
    }

    private async Task<NvmeException?> CollectAsync(NvmOpcode opcode, (ushort Id, ulong Lba, int Blocks) command)
    {
        string what = string.Create(Inv, $"{opcode} of {command.Blocks} block(s) at LBA {command.Lba}");
        var entry = await queue.WaitAsync(command.Id, CommandTimeout, () => what);
        return entry.Status.IsSuccess ? null : new NvmeException($"{what} failed: {entry.Status}", entry.Status);
    }
}
