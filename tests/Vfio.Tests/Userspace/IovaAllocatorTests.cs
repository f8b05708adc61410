using Vfio.Userspace;

namespace Vfio.Tests.Userspace;

public sealed class IovaAllocatorTests
{
    // The IOVA ranges VFIO_IOMMU_GET_INFO reports under QEMU's intel-iommu (x86 MSI window excluded).
    private static readonly IovaRange[] X86Ranges = [new(0, 0xfedfffff), new(0xfef00000, 0x7fffffffff)];

    [Fact]
    public void Allocations_are_granule_aligned_and_do_not_overlap()
    {
        var a = new IovaAllocator(X86Ranges);
        ulong first = a.Allocate(100);
        ulong second = a.Allocate(5000);
        ulong third = a.Allocate(4096);
        Assert.Equal(0UL, first);
        Assert.Equal(0x1000UL, second);
        Assert.Equal(0x3000UL, third); // 5000 bytes took two pages
        Assert.All(new[] { first, second, third }, i => Assert.Equal(0UL, i % 4096));
    }

    [Fact]
    public void The_reserved_hole_is_never_handed_out()
    {
        // One range below the hole with room for 1 MiB only; the next allocation must skip the MSI window.
        var a = new IovaAllocator([new(0xfec00000, 0xfedfffff), new(0xfef00000, 0xffffffff)]);
        Assert.Equal(0xfec00000UL, a.Allocate(2 << 20));
        ulong next = a.Allocate(2 << 20);
        Assert.Equal(0xfef00000UL, next);
        Assert.False(next <= 0xfeefffff && next + (2 << 20) > 0xfee00000);
    }

    [Fact]
    public void An_allocation_that_does_not_fit_before_a_hole_goes_after_it()
    {
        var a = new IovaAllocator([new(0x0, 0x2fff), new(0x10000, 0x1ffff)]);
        Assert.Equal(0x10000UL, a.Allocate(0x4000));
        Assert.Equal(0x0UL, a.Allocate(0x3000));
    }

    [Fact]
    public void The_dma_mask_keeps_the_whole_allocation_below_it()
    {
        var a = new IovaAllocator(X86Ranges);
        const ulong mask28 = (1UL << 28) - 1;
        a.Allocate((1UL << 28) - 0x2000); // leaves two pages below 256 MiB
        ulong fits = a.Allocate(0x2000, dmaMask: mask28);
        Assert.True(fits + 0x2000 - 1 <= mask28);
        Assert.False(a.TryAllocate(0x1000, out _, dmaMask: mask28));
        Assert.True(a.TryAllocate(0x1000, out ulong above));
        Assert.True(above > mask28);
    }

    [Fact]
    public void Alignment_is_honoured_and_the_gap_stays_usable()
    {
        var a = new IovaAllocator(X86Ranges);
        Assert.Equal(0UL, a.Allocate(0x1000));
        ulong huge = a.Allocate(2 << 20, alignment: 2 << 20);
        Assert.Equal(2UL << 20, huge);
        // The pages skipped for alignment are still free.
        Assert.Equal(0x1000UL, a.Allocate(0x1000));
    }

    [Fact]
    public void Exhaustion_is_a_vfio_error_that_says_what_was_asked_and_what_is_free()
    {
        var a = new IovaAllocator([new(0x1000, 0x4fff)]);
        a.Allocate(0x2000);
        var e = Assert.Throws<VfioException>(() => a.Allocate(0x3000, dmaMask: 0xffff));
        Assert.Equal(VfioErrorKind.IovaExhausted, e.Kind);
        Assert.Contains("12288 bytes", e.Message);
        Assert.Contains("8192 bytes are free below the mask", e.Message);
        Assert.Contains("largest hole is 8192 bytes", e.Message);
        Assert.NotNull(e.Hint);
    }

    [Fact]
    public void Freed_space_is_reused_and_merged_with_its_neighbours()
    {
        var a = new IovaAllocator([new(0, 0x3fff)]);
        ulong x = a.Allocate(0x1000), y = a.Allocate(0x1000), z = a.Allocate(0x1000);
        Assert.Equal(0x1000UL, a.FreeBytes);
        a.Free(x);
        a.Free(z);
        a.Free(y);
        // All three pieces merged back: the whole 16 KiB fits in one allocation again.
        Assert.Equal(0x4000UL, a.FreeBytes);
        Assert.Equal(0UL, a.Allocate(0x4000));
    }

    [Fact]
    public void Freeing_an_address_that_was_not_allocated_is_refused()
    {
        var a = new IovaAllocator(X86Ranges);
        ulong x = a.Allocate(0x2000);
        Assert.Throws<ArgumentException>(() => a.Free(x + 0x1000));
        a.Free(x);
        Assert.Throws<ArgumentException>(() => a.Free(x));
    }

    [Fact]
    public void Ranges_are_merged_and_trimmed_to_whole_granules()
    {
        var a = new IovaAllocator([new(0x1800, 0x5fff), new(0x5000, 0x8fff), new(0x20000, 0x207ff)], granule: 0x1000);
        // 0x1800 rounds up to 0x2000; the overlapping second range merges; the last is under one granule.
        Assert.Equal([new IovaRange(0x2000, 0x8fff)], a.Ranges);
        Assert.Equal(0x7000UL, a.FreeBytes);
    }

    [Fact]
    public void The_full_64_bit_space_works_without_overflow()
    {
        var a = new IovaAllocator([new(0, ulong.MaxValue)]);
        ulong top = a.Allocate(0x1000, alignment: 1UL << 63);
        Assert.Equal(0UL, top);
        ulong high = a.Allocate(0x1000, alignment: 1UL << 63);
        Assert.Equal(1UL << 63, high);
        a.Free(top);
        a.Free(high);
        Assert.Equal(ulong.MaxValue, a.FreeBytes);
    }

    [Fact]
    public void Concurrent_allocations_never_overlap()
    {
        var a = new IovaAllocator(X86Ranges);
        var got = new System.Collections.Concurrent.ConcurrentBag<ulong>();
        Parallel.For(0, 2000, _ => got.Add(a.Allocate(0x1000)));
        Assert.Equal(2000, got.Distinct().Count());
    }

    [Fact]
    public void Restricting_withdraws_free_space_outside_the_new_ranges_and_keeps_live_allocations()
    {
        // An iommufd IOAS after a second attach: the MSI window and everything above 4 GiB become invalid.
        var a = new IovaAllocator([new IovaRange(0x1000, ulong.MaxValue)], 4096);
        ulong live = a.Allocate(0x2000);
        a.Restrict([new IovaRange(0, 0xfedfffff), new IovaRange(0xfef00000, 0xffffffff)]);

        Assert.Equal([new IovaRange(0x1000, 0xfedfffff), new IovaRange(0xfef00000, 0xffffffff)], a.Ranges);
        Assert.Equal(0xfedfffffUL - 0x1000 + 1 - 0x2000 + (0xffffffffUL - 0xfef00000 + 1), a.FreeBytes);
        // Nothing is handed out in the reserved window or above 4 GiB any more.
        var e = Assert.Throws<VfioException>(() => a.Allocate(0x100000000));
        Assert.Equal(VfioErrorKind.IovaExhausted, e.Kind);
        // The live allocation is still live, and comes back when freed.
        a.Free(live);
        Assert.Equal(live, a.Allocate(0x2000));
    }

    [Fact]
    public void Restricting_trims_to_whole_granules()
    {
        var a = new IovaAllocator([new IovaRange(0, 0xffff)], 4096);
        a.Restrict([new IovaRange(0x1800, 0x47ff)]);
        Assert.Equal([new IovaRange(0x2000, 0x3fff)], a.Ranges);
        Assert.Equal(0x2000UL, a.FreeBytes);
    }
}
