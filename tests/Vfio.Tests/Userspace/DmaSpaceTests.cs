using Vfio.Userspace;

namespace Vfio.Tests.Userspace;

/// <summary>
/// A <see cref="DmaBuffer"/> depends on the DMA space it was allocated from, not on the container: it maps
/// and unmaps through whichever backend's space that is. The space here records the calls instead of
/// making them (the container's own map and unmap are tested against real kernels).
/// </summary>
public sealed class DmaSpaceTests
{
    private const ulong Edu28BitMask = 0x0fffffff;

    [Fact]
    public void A_buffer_is_mapped_below_the_mask_and_unmapped_through_the_space_it_came_from()
    {
        var space = new RecordingSpace();
        ulong freeBefore = space.Iova.FreeBytes;

        var buffer = space.AllocateDma(10000, Edu28BitMask, DmaAccess.DeviceRead, DmaPageSize.Small);

        Assert.Equal((nuint)12288, buffer.Length);
        Assert.Equal(0x1000UL, buffer.Iova); // first fit, above the unmapped first page
        Assert.Equal([(buffer.Address, 0x1000UL, 12288UL, DmaAccess.DeviceRead)], space.Maps);
        Assert.Equal(freeBefore - 12288, space.Iova.FreeBytes);

        buffer.Dispose();
        buffer.Dispose();

        Assert.Equal([(0x1000UL, 12288UL)], space.Unmaps);
        Assert.Equal(freeBefore, space.Iova.FreeBytes);
        Assert.Throws<ObjectDisposedException>(() => buffer.Span.Length);
    }

    [Fact]
    public void A_refused_mapping_gives_the_iova_back_and_surfaces_the_space_error()
    {
        var refusal = new VfioException(VfioErrorKind.MemlockLimit, "VFIO_IOMMU_MAP_DMA", null, Errno.ENOMEM, "exceeded RLIMIT_MEMLOCK.");
        var space = new RecordingSpace { MapError = refusal };
        ulong freeBefore = space.Iova.FreeBytes;

        var e = Assert.Throws<VfioException>(() => space.AllocateDma(4096, Edu28BitMask));

        Assert.Same(refusal, e);
        Assert.Equal(freeBefore, space.Iova.FreeBytes);
    }

    [Fact]
    public void Disposing_a_buffer_after_its_space_lost_the_iommu_only_frees_the_memory()
    {
        var space = new RecordingSpace();
        var buffer = space.AllocateDma(4096, Edu28BitMask);
        space.UnmapError = new VfioException(VfioErrorKind.Failed, "VFIO_IOMMU_UNMAP_DMA", null, Errno.EINVAL, "no IOMMU.");

        buffer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => buffer.Address);
        Assert.Empty(space.Unmaps);
    }

    [Fact]
    public void A_memfd_buffer_is_shared_memory_the_cpu_writes_through_and_is_mapped_by_address_outside_iommufd()
    {
        var space = new RecordingSpace();
        var buffer = space.AllocateDma(5000, Edu28BitMask, pageSize: DmaPageSize.Small, memory: DmaMemory.Memfd);

        Assert.Equal(DmaMemory.Memfd, buffer.Kind);
        Assert.False(buffer.MappedByFile);
        Assert.Equal((nuint)8192, buffer.Length);
        Assert.Equal([(buffer.Address, buffer.Iova, 8192UL, DmaAccess.ReadWrite)], space.Maps);
        // The memfd holds what the CPU wrote through the mapping: it is the same memory.
        buffer.Span[100] = 0x5a;
        var file = buffer.File!;
        using (var view = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(file.DangerousGetHandle(), ownsHandle: false), FileAccess.Read))
        {
            view.Seek(100, SeekOrigin.Begin);
            Assert.Equal(0x5a, view.ReadByte());
            Assert.Equal(8192, view.Length);
        }

        buffer.Dispose();
        Assert.True(file.IsClosed);
        Assert.Equal([(buffer.Iova, 8192UL)], space.Unmaps);
    }

    /// <summary>A DMA space over a 32-bit IOVA window that records map and unmap calls.</summary>
    private sealed class RecordingSpace : DmaSpace
    {
        private readonly IovaAllocator _iova = new([new IovaRange(0x1000, 0xffffffff)], 4096);

        public List<(nuint Address, ulong Iova, ulong Length, DmaAccess Access)> Maps { get; } = [];
        public List<(ulong Iova, ulong Length)> Unmaps { get; } = [];
        public VfioException? MapError { get; set; }
        public VfioException? UnmapError { get; set; }

        public override VfioBackend Backend => VfioBackend.Container;
        public override string Path => "test";
        public override IReadOnlyList<IovaRange> IovaRanges => [new IovaRange(0, 0xffffffff)];
        public override ulong PageSizes => 4096;
        public override IovaAllocator Iova => _iova;

        public override void MapDma(nuint virtualAddress, ulong iova, ulong length, DmaAccess access = DmaAccess.ReadWrite)
        {
            if (MapError is not null) throw MapError;
            Maps.Add((virtualAddress, iova, length, access));
        }

        public override ulong UnmapDma(ulong iova, ulong length)
        {
            if (UnmapError is not null) throw UnmapError;
            Unmaps.Add((iova, length));
            return length;
        }
    }
}
