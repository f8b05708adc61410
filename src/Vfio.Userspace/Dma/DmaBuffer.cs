using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// Memory a device can reach: anonymous pages of this process, pinned and mapped in a
/// <see cref="DmaSpace"/> (a container's IOMMU) at <see cref="Iova"/>. Dispose unmaps the DMA first (so the device can no longer reach it),
/// returns the IOVA to the allocator, then unmaps the memory.
/// </summary>
public sealed unsafe class DmaBuffer : IDisposable
{
    /// <summary>The x86-64 huge page size used for MAP_HUGETLB (2 MiB).</summary>
    internal const nuint HugePageSize = 2 << 20;

    private int _disposed;

    internal DmaBuffer(DmaSpace space, IovaAllocator? allocator, MappedMemoryHandle memory, ulong iova, nuint length, nuint pageSize, DmaAccess access,
        FileDescriptorHandle? file = null, bool mappedByFile = false)
    {
        FileHandle = file;
        MappedByFile = mappedByFile;
        Space = space;
        Allocator = allocator;
        Memory = memory;
        Iova = iova;
        Length = length;
        PageSize = pageSize;
        Access = access;
    }

    internal DmaSpace Space { get; }
    internal IovaAllocator? Allocator { get; }
    internal MappedMemoryHandle Memory { get; }
    internal FileDescriptorHandle? FileHandle { get; }

    /// <summary>What backs the buffer: anonymous memory, or a memfd.</summary>
    public DmaMemory Kind => FileHandle is null ? DmaMemory.Anonymous : DmaMemory.Memfd;

    /// <summary>
    /// Whether the device mapping was made from the file (IOMMU_IOAS_MAP_FILE, iommufd) rather than from
    /// this process's address (VFIO_IOMMU_MAP_DMA or IOMMU_IOAS_MAP).
    /// </summary>
    public bool MappedByFile { get; }

    /// <summary>The memfd behind a <see cref="DmaMemory.Memfd"/> buffer (null otherwise), e.g. to share the memory with another process; owned by the buffer.</summary>
    public System.Runtime.InteropServices.SafeHandle? File => FileHandle;

    /// <summary>Raised after Dispose has unmapped the buffer (the session uses it to forget the buffer).</summary>
    internal event Action<DmaBuffer>? Disposed;

    /// <summary>The I/O virtual address the device uses for the first byte.</summary>
    public ulong Iova { get; }

    /// <summary>Length in bytes (a multiple of <see cref="PageSize"/>).</summary>
    public nuint Length { get; }

    /// <summary>The page size backing the buffer: 4 KiB, or 2 MiB for huge pages.</summary>
    public nuint PageSize { get; }

    /// <summary>Whether huge pages back the buffer.</summary>
    public bool HugePages => PageSize >= HugePageSize;

    /// <summary>What the device may do with the memory.</summary>
    public DmaAccess Access { get; }

    /// <summary>The CPU's view of the memory. Throws after Dispose, and for buffers over 2 GiB (use <see cref="Address"/>).</summary>
    public Span<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (Length > int.MaxValue) throw new InvalidOperationException($"a Span covers at most 2 GiB; this buffer has {Length} bytes: use Address.");
            return new Span<byte>(Memory.Pointer, (int)Length);
        }
    }

    /// <summary>The CPU address of the first byte (valid until Dispose), for drivers that build descriptors.</summary>
    public nuint Address
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return (nuint)Memory.Pointer;
        }
    }

    /// <summary>The IOVA of a byte offset within the buffer, bounds-checked.</summary>
    public ulong IovaAt(nuint offset)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(offset, Length);
        return Iova + offset;
    }

    internal static DmaBuffer Allocate(DmaSpace space, IovaAllocator allocator, nuint length, ulong dmaMask, DmaAccess access, DmaPageSize pageSize, DmaMemory kind)
    {
        ArgumentOutOfRangeException.ThrowIfZero(length);
        if ((access & DmaAccess.ReadWrite) == 0) throw new ArgumentException("the device needs read or write access.", nameof(access));
        if (kind == DmaMemory.Memfd) return AllocateMemfd(space, allocator, length, dmaMask, access, pageSize);
        nuint page = (nuint)Environment.SystemPageSize;
        MappedMemoryHandle? memory = null;
        nuint used = 0;
        Errno errno = 0;
        bool tryHuge = pageSize == DmaPageSize.Huge || (pageSize == DmaPageSize.Auto && length >= HugePageSize);
        if (tryHuge)
        {
            used = HugePageSize;
            // MAP_HUGE_2MB = 21 << MAP_HUGE_SHIFT: 2 MiB pages from the hugetlb pool.
            memory = MappedMemoryHandle.Map(RoundUp(length, used), Libc.PROT_READ | Libc.PROT_WRITE,
                Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_POPULATE | Libc.MAP_HUGETLB | (21 << Libc.MAP_HUGE_SHIFT), null, 0, out errno);
            if (memory is null && pageSize == DmaPageSize.Huge)
                throw new VfioException(VfioErrorKind.MapFailed, "mmap(MAP_HUGETLB)", null, errno,
                    $"no free 2 MiB huge pages for {RoundUp(length, used)} bytes.",
                    "reserve some as root: `echo N > /proc/sys/vm/nr_hugepages` (or hugepages=N on the kernel command line), or use DmaPageSize.Auto.");
        }
        if (memory is null)
        {
            used = page;
            // MAP_POPULATE write-faults every page in now. Untouched private anonymous pages are the
            // shared zero page, and a mapping without DMA write access pins them without FOLL_WRITE:
            // on 6.1 the IOMMU then maps the zero page itself and the CPU's later writes go to a
            // private copy the device never sees (seen: an NVMe write from a DeviceRead buffer
            // wrote zeros on 6.1, the data on 6.12).
            memory = MappedMemoryHandle.Map(RoundUp(length, used), Libc.PROT_READ | Libc.PROT_WRITE,
                Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_POPULATE, null, 0, out errno);
            if (memory is null)
                throw new VfioException(VfioErrorKind.MapFailed, "mmap", null, errno, $"could not allocate {RoundUp(length, used)} bytes of memory.");
        }
        return MapForDevice(space, allocator, memory, null, used, dmaMask, access);
    }

    /// <summary>
    /// The second half of every allocation: the memory kept from forked children, an IOVA taken below
    /// the mask, the mapping made (by file for a memfd on iommufd, by address otherwise). On failure the
    /// IOVA, the memory and the file are given back.
    /// </summary>
    private static DmaBuffer MapForDevice(DmaSpace space, IovaAllocator allocator, MappedMemoryHandle memory, FileDescriptorHandle? file,
        nuint pageSize, ulong dmaMask, DmaAccess access)
    {
        nuint total = memory.Length;
        // Pinned pages must not be shared copy-on-write with a forked child: the parent would write
        // to a fresh copy while the device keeps the pinned original.
        Libc.Madvise((nint)memory.Pointer, total, Libc.MADV_DONTFORK);
        ulong iova;
        try
        {
            iova = allocator.Allocate(total, pageSize, dmaMask);
        }
        catch
        {
            memory.Dispose();
            file?.Dispose();
            throw;
        }
        var ioas = file is null ? null : space as IommufdIoas;
        try
        {
            if (ioas is not null) ioas.MapFile(file!, 0, iova, total, access);
            else space.MapDma((nuint)memory.Pointer, iova, total, access);
        }
        catch
        {
            allocator.Free(iova);
            memory.Dispose();
            file?.Dispose();
            throw;
        }
        return new DmaBuffer(space, allocator, memory, iova, total, pageSize, access, file, mappedByFile: ioas is not null);
    }

    /// <summary>
    /// A memfd buffer: memfd_create (MFD_HUGETLB with 2 MiB pages when asked or when the length suits and
    /// the pool has pages), sized, mapped shared and populated for the CPU, then mapped for the device by
    /// file on iommufd and by address elsewhere.
    /// </summary>
    private static DmaBuffer AllocateMemfd(DmaSpace space, IovaAllocator allocator, nuint length, ulong dmaMask, DmaAccess access, DmaPageSize pageSize)
    {
        nuint page = (nuint)Environment.SystemPageSize;
        bool tryHuge = pageSize == DmaPageSize.Huge || (pageSize == DmaPageSize.Auto && length >= HugePageSize);
        FileDescriptorHandle? file = null;
        MappedMemoryHandle? memory = null;
        nuint used = page;
        Errno errno = 0;
        if (tryHuge)
        {
            used = HugePageSize;
            (file, memory, errno) = MemfdMap(RoundUp(length, used), Libc.MFD_CLOEXEC | Libc.MFD_HUGETLB | (21u << Libc.MAP_HUGE_SHIFT));
            if (memory is null && pageSize == DmaPageSize.Huge)
                throw new VfioException(VfioErrorKind.MapFailed, "memfd_create(MFD_HUGETLB)", null, errno,
                    $"no hugetlb memfd of {RoundUp(length, used)} bytes (2 MiB pages) could be created and populated.",
                    "reserve huge pages as root: `echo N > /proc/sys/vm/nr_hugepages`, or use DmaPageSize.Auto.");
        }
        if (memory is null)
        {
            used = page;
            (file, memory, errno) = MemfdMap(RoundUp(length, used), Libc.MFD_CLOEXEC);
            if (memory is null)
                throw new VfioException(VfioErrorKind.MapFailed, "memfd_create", null, errno, $"could not create and map a memfd of {RoundUp(length, used)} bytes.");
        }
        return MapForDevice(space, allocator, memory, file, used, dmaMask, access);
    }

    private static (FileDescriptorHandle? File, MappedMemoryHandle? Memory, Errno Errno) MemfdMap(nuint size, uint flags)
    {
        int fd = Libc.MemfdCreate("vfio-dma", flags);
        if (fd < 0) return (null, null, ErrnoInfo.FromLastPInvokeError());
        var file = new FileDescriptorHandle(fd);
        if (Libc.Ftruncate(fd, (long)size) != 0)
        {
            var e = ErrnoInfo.FromLastPInvokeError();
            file.Dispose();
            return (null, null, e);
        }
        // Shared, so the CPU writes into the file's pages, the ones the device is given.
        var memory = MappedMemoryHandle.Map(size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_POPULATE, file, 0, out var errno);
        if (memory is null)
        {
            file.Dispose();
            return (null, null, errno);
        }
        return (file, memory, 0);
    }

    private static nuint RoundUp(nuint value, nuint unit) => (value + unit - 1) / unit * unit;

    /// <summary>Unmaps the DMA, frees the IOVA, then unmaps the memory. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        bool unmapped = false;
        try
        {
            Space.UnmapDma(Iova, Length);
            unmapped = true;
        }
        catch (ObjectDisposedException)
        {
            // The space (container) is closed: the kernel dropped its mappings (and unpinned) with it.
        }
        catch (VfioException)
        {
            // The space lost its IOMMU (the container's last group unset): the mappings went with it.
        }
        if (unmapped) Allocator?.Free(Iova);
        Memory.Dispose();
        FileHandle?.Dispose();
        Disposed?.Invoke(this);
    }
}
