using System.Diagnostics;
using System.Runtime.CompilerServices;
using Vfio.Userspace;

namespace Vfio.Bench.VfioVsC;

/// <summary>The timed loops; each returns nanoseconds.</summary>
internal static class Bench
{
    private static uint s_sink;

    /// <summary>N pairs of <see cref="VfioContainer.MapDma"/> and <see cref="VfioContainer.UnmapDma"/> of one page at one IOVA.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static long MapUnmap(VfioContainer container, nuint page, ulong iova, long n)
    {
        long start = Stopwatch.GetTimestamp();
        for (long i = 0; i < n; i++)
        {
            container.MapDma(page, iova, AnonymousPage.Size);
            container.UnmapDma(iova, AnonymousPage.Size);
        }
        return Nanoseconds(start);
    }

    /// <summary>The same pairs through an iommufd I/O address space (IOMMU_IOAS_MAP and IOMMU_IOAS_UNMAP).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static long MapUnmap(IommufdIoas ioas, nuint page, ulong iova, long n)
    {
        long start = Stopwatch.GetTimestamp();
        for (long i = 0; i < n; i++)
        {
            ioas.MapDma(page, iova, AnonymousPage.Size);
            ioas.UnmapDma(iova, AnonymousPage.Size);
        }
        return Nanoseconds(start);
    }

    /// <summary>N <see cref="MmioRegion.Read32"/> of one register.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static long MmioReads(MmioRegion bar, ulong offset, long n)
    {
        uint acc = 0;
        long start = Stopwatch.GetTimestamp();
        for (long i = 0; i < n; i++) acc ^= bar.Read32(offset);
        long t = Nanoseconds(start);
        s_sink = acc;
        return t;
    }

    private static long Nanoseconds(long start) => (long)((Stopwatch.GetTimestamp() - start) * (1e9 / Stopwatch.Frequency));
}
