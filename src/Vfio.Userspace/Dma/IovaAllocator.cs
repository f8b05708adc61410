namespace Vfio.Userspace;

/// <summary>
/// Hands out IOVA ranges inside the IOMMU's valid ranges (reserved holes excluded), aligned, below a
/// device's DMA mask, and takes them back for reuse. First fit from low addresses, so small-mask
/// devices keep low space available only as far as larger users allow; thread-safe.
/// </summary>
public sealed class IovaAllocator
{
    /// <summary>Creates an allocator over the given valid ranges.</summary>
    /// <param name="ranges">Valid IOVA ranges (inclusive ends), e.g. <see cref="IommuInfo.IovaRanges"/>. Overlaps are merged.</param>
    /// <param name="granule">The IOMMU page size: every allocation starts and ends on it (a power of two).</param>
    public IovaAllocator(IEnumerable<IovaRange> ranges, ulong granule = 4096) => throw new NotImplementedException();

    /// <summary>The allocation granule (IOMMU page size).</summary>
    public ulong Granule => throw new NotImplementedException();

    /// <summary>The valid ranges, sorted and merged, trimmed to whole granules.</summary>
    public IReadOnlyList<IovaRange> Ranges => throw new NotImplementedException();

    /// <summary>Bytes not allocated.</summary>
    public ulong FreeBytes => throw new NotImplementedException();

    /// <summary>Allocates <paramref name="length"/> bytes (rounded up to the granule).</summary>
    /// <param name="length">Bytes wanted.</param>
    /// <param name="alignment">Alignment of the start (a power of two; at least the granule).</param>
    /// <param name="dmaMask">Highest address the device can reach; the whole allocation lies at or below it.</param>
    /// <exception cref="VfioException"><see cref="VfioErrorKind.IovaExhausted"/> when nothing fits, saying what was asked and what is free below the mask.</exception>
    public ulong Allocate(ulong length, ulong alignment = 0, ulong dmaMask = ulong.MaxValue) => throw new NotImplementedException();

    /// <summary>Like <see cref="Allocate"/> but returns false instead of throwing when nothing fits.</summary>
    public bool TryAllocate(ulong length, out ulong iova, ulong alignment = 0, ulong dmaMask = ulong.MaxValue) => throw new NotImplementedException();

    /// <summary>Returns an allocation made here (by its start IOVA) for reuse.</summary>
    /// <exception cref="ArgumentException">The IOVA is not the start of a live allocation.</exception>
    public void Free(ulong iova) => throw new NotImplementedException();
}
