using System.Globalization;

namespace Vfio.Userspace;

/// <summary>
/// Hands out IOVA ranges inside the IOMMU's valid ranges (reserved holes excluded), aligned, below a
/// device's DMA mask, and takes them back for reuse. First fit from low addresses; thread-safe.
/// </summary>
public sealed class IovaAllocator
{
    private readonly Lock _gate = new();
    // Free ranges, sorted by start, never adjacent (merged on free); inclusive ends.
    private readonly List<IovaRange> _free = [];
    private readonly Dictionary<ulong, ulong> _allocated = [];

    /// <summary>Creates an allocator over the given valid ranges.</summary>
    /// <param name="ranges">Valid IOVA ranges (inclusive ends), e.g. <see cref="IommuInfo.IovaRanges"/>. Overlaps are merged.</param>
    /// <param name="granule">The IOMMU page size: every allocation starts and ends on it (a power of two).</param>
    public IovaAllocator(IEnumerable<IovaRange> ranges, ulong granule = 4096)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        if (granule == 0 || (granule & (granule - 1)) != 0)
            throw new ArgumentException($"the granule must be a power of two, not {granule}.", nameof(granule));
        Granule = granule;
        foreach (var r in ranges.OrderBy(r => r.Start))
        {
            if (r.End < r.Start) throw new ArgumentException($"IOVA range {r} ends before it starts.", nameof(ranges));
            // Trim to whole granules: the start rounds up, the end down to the last byte of a granule.
            ulong start = AlignUp(r.Start, granule, out bool overflow);
            if (overflow) continue;
            ulong end;
            if (r.End == ulong.MaxValue)
            {
                end = ulong.MaxValue;
            }
            else
            {
                ulong top = (r.End + 1) & ~(granule - 1);
                if (top <= start) continue;
                end = top - 1;
            }
            if (_free.Count > 0)
            {
                var last = _free[^1];
                if (last.End == ulong.MaxValue) continue;
                if (start <= last.End + 1)
                {
                    _free[^1] = last with { End = Math.Max(last.End, end) };
                    continue;
                }
            }
            _free.Add(new IovaRange(start, end));
        }
        Ranges = [.. _free];
    }

    /// <summary>The allocation granule (IOMMU page size).</summary>
    public ulong Granule { get; }

    /// <summary>The valid ranges, sorted and merged, trimmed to whole granules (narrowed by <see cref="Restrict"/>).</summary>
    public IReadOnlyList<IovaRange> Ranges { get; private set; }

    /// <summary>Bytes not allocated (saturating at ulong.MaxValue).</summary>
    public ulong FreeBytes
    {
        get
        {
            lock (_gate)
            {
                ulong total = 0;
                foreach (var r in _free)
                {
                    ulong len = r.Length;
                    total = ulong.MaxValue - total < len ? ulong.MaxValue : total + len;
                }
                return total;
            }
        }
    }

    /// <summary>Allocates <paramref name="length"/> bytes (rounded up to the granule).</summary>
    /// <param name="length">Bytes wanted.</param>
    /// <param name="alignment">Alignment of the start (a power of two; at least the granule).</param>
    /// <param name="dmaMask">Highest address the device can reach; the whole allocation lies at or below it.</param>
    /// <exception cref="VfioException"><see cref="VfioErrorKind.IovaExhausted"/> when nothing fits, saying what was asked and what is free below the mask.</exception>
    public ulong Allocate(ulong length, ulong alignment = 0, ulong dmaMask = ulong.MaxValue)
    {
        if (TryAllocate(length, out ulong iova, alignment, dmaMask)) return iova;
        ulong largest;
        ulong below;
        lock (_gate)
        {
            largest = 0;
            below = 0;
            foreach (var r in _free)
            {
                if (r.Start > dmaMask) break;
                ulong len = Math.Min(r.End, dmaMask) - r.Start + 1;
                largest = Math.Max(largest, len);
                below += len;
            }
        }
        var inv = CultureInfo.InvariantCulture;
        throw new VfioException(VfioErrorKind.IovaExhausted, "allocate IOVA", null, 0,
            string.Create(inv, $"no free IOVA range holds {length} bytes aligned to 0x{Math.Max(alignment, Granule):x} at or below the DMA mask 0x{dmaMask:x}: {below} bytes are free below the mask, the largest hole is {largest} bytes (valid ranges: {string.Join(", ", Ranges)})."),
            "free DMA buffers no longer needed, or allocate smaller ones; a device's DMA mask limits how much it can reach.");
    }

    /// <summary>Like <see cref="Allocate"/> but returns false instead of throwing when nothing fits.</summary>
    public bool TryAllocate(ulong length, out ulong iova, ulong alignment = 0, ulong dmaMask = ulong.MaxValue)
    {
        iova = 0;
        if (length == 0) throw new ArgumentOutOfRangeException(nameof(length), "an allocation needs at least one byte.");
        if (alignment != 0 && (alignment & (alignment - 1)) != 0)
            throw new ArgumentException($"the alignment must be a power of two, not {alignment}.", nameof(alignment));
        ulong align = Math.Max(alignment, Granule);
        ulong size = AlignUp(length, Granule, out bool overflow);
        if (overflow) return false;
        lock (_gate)
        {
            for (int i = 0; i < _free.Count; i++)
            {
                var r = _free[i];
                if (r.Start > dmaMask) break;
                ulong start = AlignUp(r.Start, align, out overflow);
                if (overflow) break;
                ulong limit = Math.Min(r.End, dmaMask);
                if (start > limit || size - 1 > limit - start) continue;
                ulong last = start + size - 1;
                // Split the free range around [start, last].
                _free.RemoveAt(i);
                int at = i;
                if (r.Start < start) _free.Insert(at++, new IovaRange(r.Start, start - 1));
                if (last < r.End) _free.Insert(at, new IovaRange(last + 1, r.End));
                _allocated[start] = size;
                iova = start;
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Narrows the allocator to <paramref name="valid"/>: free IOVA outside those ranges is withdrawn
    /// (an iommufd IOAS narrows when another device is attached to it). Live allocations are left alone:
    /// the kernel refuses an attach whose reserved regions overlap a mapping.
    /// </summary>
    /// <param name="valid">The ranges now valid (inclusive ends).</param>
    public void Restrict(IEnumerable<IovaRange> valid)
    {
        ArgumentNullException.ThrowIfNull(valid);
        var ok = valid.OrderBy(r => r.Start).ToList();
        static List<IovaRange> Intersect(IEnumerable<IovaRange> have, List<IovaRange> ok, ulong granule)
        {
            var result = new List<IovaRange>();
            foreach (var f in have)
                foreach (var v in ok)
                {
                    ulong start = Math.Max(f.Start, v.Start), end = Math.Min(f.End, v.End);
                    if (start > end) continue;
                    // Whole granules only, as in the constructor.
                    ulong s = AlignUp(start, granule, out bool overflow);
                    if (overflow) continue;
                    ulong e;
                    if (end == ulong.MaxValue)
                    {
                        e = end;
                    }
                    else
                    {
                        ulong top = (end + 1) & ~(granule - 1);
                        if (top <= s) continue;
                        e = top - 1;
                    }
                    result.Add(new IovaRange(s, e));
                }
            return result;
        }
        lock (_gate)
        {
            var free = Intersect(_free, ok, Granule);
            _free.Clear();
            _free.AddRange(free);
            Ranges = Intersect(Ranges, ok, Granule);
        }
    }

    /// <summary>Returns an allocation made here (by its start IOVA) for reuse.</summary>
    /// <exception cref="ArgumentException">The IOVA is not the start of a live allocation.</exception>
    public void Free(ulong iova)
    {
        lock (_gate)
        {
            if (!_allocated.Remove(iova, out ulong size))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"0x{iova:x} is not the start of an IOVA allocation of this allocator."), nameof(iova));
            var range = new IovaRange(iova, iova + size - 1);
            int i = 0;
            while (i < _free.Count && _free[i].Start < range.Start) i++;
            _free.Insert(i, range);
            // Merge with the following and the preceding free ranges when they touch.
            if (i + 1 < _free.Count && _free[i].End + 1 == _free[i + 1].Start)
            {
                _free[i] = _free[i] with { End = _free[i + 1].End };
                _free.RemoveAt(i + 1);
            }
            if (i > 0 && _free[i - 1].End + 1 == _free[i].Start)
            {
                _free[i - 1] = _free[i - 1] with { End = _free[i].End };
                _free.RemoveAt(i);
            }
        }
    }

    private static ulong AlignUp(ulong value, ulong align, out bool overflow)
    {
        ulong mask = align - 1;
        overflow = value > ulong.MaxValue - mask;
        return overflow ? 0 : (value + mask) & ~mask;
    }
}
