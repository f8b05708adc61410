namespace Vfio.Samples.Nvme;

/// <summary>
/// Builds the data pointer of a transfer as physical region page entries (NVMe base specification,
/// "Physical Region Page Entry and List"): PRP1 is the address of the first byte (any dword-aligned
/// offset in its page); if the transfer ends in the next page, PRP2 is that page; if it spans more,
/// PRP2 points to a PRP list holding every further page. One list page holds 512 entries (2 MiB
/// after the first page), more than any MDTS this driver accepts, so lists are never chained.
/// </summary>
internal static class PrpBuilder
{
    public const int PageSize = NvmeRegisters.PageSize;
    public const int EntriesPerListPage = PageSize / sizeof(ulong);

    /// <summary>The largest transfer one list page can describe in the worst case (an unaligned first page).</summary>
    public const int MaxTransferBytes = EntriesPerListPage * PageSize;

    /// <summary>
    /// Computes PRP1 and PRP2 for <paramref name="length"/> bytes at IOVA <paramref name="iova"/>
    /// (IOVA-contiguous, as one DmaBuffer is), filling <paramref name="list"/> when a list is needed.
    /// </summary>
    /// <returns>The number of list entries written (0 when PRP2 is unused or a direct page).</returns>
    public static int Build(ulong iova, int length, Span<ulong> list, ulong listIova, out ulong prp1, out ulong prp2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        if ((iova & 3) != 0) throw new ArgumentException($"PRP1 must be dword aligned, not 0x{iova:x}.", nameof(iova));
        if ((listIova & (PageSize - 1)) != 0) throw new ArgumentException($"a PRP list must start on a page, not 0x{listIova:x}.", nameof(listIova));
        prp1 = iova;
        prp2 = 0;
        int first = PageSize - (int)(iova & (PageSize - 1));
        if (length <= first) return 0;
        ulong next = (iova & ~(ulong)(PageSize - 1)) + PageSize;
        int pages = (length - first + PageSize - 1) / PageSize;
        if (pages == 1)
        {
            prp2 = next;
            return 0;
        }
        if (pages > EntriesPerListPage || pages > list.Length)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"{pages} pages after the first do not fit one PRP list page ({Math.Min(EntriesPerListPage, list.Length)} entries).");
        for (int i = 0; i < pages; i++) list[i] = next + (ulong)i * PageSize;
        prp2 = listIova;
        return pages;
    }
}
