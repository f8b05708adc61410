namespace Vfio.Userspace;

/// <summary>
/// An I/O address space a device's DMA goes through: where memory is mapped at an IOVA for the device,
/// whatever the IOMMU backend: the type1 <see cref="VfioContainer"/>, or an iommufd I/O address space
/// (<see cref="IommufdIoas"/>). Drivers that only map memory and hand IOVAs to a device
/// need nothing more than this (<see cref="VfioSession.Dma"/>, <see cref="VfioDevice.Dma"/>).
/// </summary>
/// <remarks>
/// The set of backends is the library's: the type cannot be derived from outside it. Its owner (the
/// session, or whoever opened the container) disposes it, after the buffers mapped in it.
/// </remarks>
public abstract class DmaSpace
{
    internal DmaSpace()
    {
    }

    /// <summary>The backend this space belongs to (never <see cref="VfioBackend.Auto"/>).</summary>
    public abstract VfioBackend Backend { get; }

    /// <summary>The node the space was opened from: <c>/dev/vfio/vfio</c> for a container, <c>/dev/iommu</c> for an IOAS.</summary>
    public abstract string Path { get; }

    /// <summary>
    /// The IOVA ranges the IOMMU accepts mappings in, as the kernel reports them now (inclusive ends;
    /// reserved regions such as the x86 MSI window 0xfee00000-0xfeefffff excluded).
    /// </summary>
    public abstract IReadOnlyList<IovaRange> IovaRanges { get; }

    /// <summary>
    /// Bitmap of the IOMMU page sizes (bit n set: 2^n bytes); the lowest is the granule every mapping's
    /// IOVA and length are multiples of.
    /// </summary>
    public abstract ulong PageSizes { get; }

    /// <summary>
    /// The IOVA allocator of this space, built on first use from its IOVA ranges and granule, without the
    /// first page (IOVA 0 stays unmapped so a device given a null address faults).
    /// <see cref="AllocateDma"/> takes IOVAs from it; take IOVAs for <see cref="MapDma"/> from it too.
    /// </summary>
    public abstract IovaAllocator Iova { get; }

    /// <summary>
    /// Maps <paramref name="length"/> bytes of this process's memory at <paramref name="virtualAddress"/> to
    /// <paramref name="iova"/>. The pages are pinned and charged to RLIMIT_MEMLOCK; running out is reported
    /// as <see cref="VfioErrorKind.MemlockLimit"/> with the limit and how to raise it. Prefer
    /// <see cref="AllocateDma"/>, which owns the memory and the mapping.
    /// </summary>
    /// <param name="virtualAddress">The first byte, page aligned.</param>
    /// <param name="iova">Where the device sees it, aligned to the granule (<see cref="PageSizes"/>).</param>
    /// <param name="length">Bytes, a multiple of the granule.</param>
    /// <param name="access">What the device may do with the memory.</param>
    public abstract void MapDma(nuint virtualAddress, ulong iova, ulong length, DmaAccess access = DmaAccess.ReadWrite);

    /// <summary>Unmaps a range mapped before; returns the bytes the kernel unmapped.</summary>
    /// <param name="iova">The start of the mapping.</param>
    /// <param name="length">Its length in bytes.</param>
    public abstract ulong UnmapDma(ulong iova, ulong length);

    /// <summary>
    /// Allocates DMA memory (huge pages when the length suits and the system has them, else 4 KiB pages),
    /// takes an IOVA from <see cref="Iova"/> below <paramref name="dmaMask"/> and maps it in this space.
    /// </summary>
    /// <param name="length">Bytes wanted; rounded up to the page size used.</param>
    /// <param name="dmaMask">The highest address the device can reach (edu: 0x0fffffff); null for no limit.</param>
    /// <param name="access">What the device may do with the memory.</param>
    /// <param name="pageSize">Huge, small, or automatic page choice.</param>
    /// <param name="memory">Anonymous memory (the default), or a memfd (mapped by file on iommufd).</param>
    public DmaBuffer AllocateDma(nuint length, ulong? dmaMask = null, DmaAccess access = DmaAccess.ReadWrite, DmaPageSize pageSize = DmaPageSize.Auto,
        DmaMemory memory = DmaMemory.Anonymous) =>
        DmaBuffer.Allocate(this, Iova, length, dmaMask ?? ulong.MaxValue, access, pageSize, memory);
}
