using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// A VFIO container (<c>/dev/vfio/vfio</c>): the IOMMU context groups attach to and DMA is mapped in.
/// Open it, attach at least one group (<see cref="VfioGroup.SetContainer"/>), then
/// <see cref="SetIommu"/>; only then can DMA be mapped. Dispose after every group has left it.
/// </summary>
public sealed class VfioContainer : IDisposable
{
    internal VfioContainer(FileDescriptorHandle handle, string path)
    {
        Handle = handle;
        Path = path;
    }

    internal FileDescriptorHandle Handle { get; }

    /// <summary>The node this container was opened from, normally <c>/dev/vfio/vfio</c>.</summary>
    public string Path { get; }

    /// <summary>Opens a new container and checks the API version (VFIO_GET_API_VERSION must be 0).</summary>
    /// <exception cref="VfioException">The node is missing (vfio not loaded) or the API version differs.</exception>
    public static VfioContainer Open(string path = "/dev/vfio/vfio") => throw new NotImplementedException();

    /// <summary>VFIO_GET_API_VERSION (0 on every kernel with this API).</summary>
    public int ApiVersion => throw new NotImplementedException();

    /// <summary>VFIO_CHECK_EXTENSION: whether the container supports an extension or IOMMU model.</summary>
    public bool CheckExtension(VfioExtension extension) => throw new NotImplementedException();

    /// <summary>The IOMMU model set by <see cref="SetIommu"/>, or null before.</summary>
    public VfioExtension? IommuModel { get; private set; }

    /// <summary>
    /// VFIO_SET_IOMMU: chooses the IOMMU model (type1v2 by default). Needs a group attached first.
    /// Fails with <see cref="VfioErrorKind.IommuUnavailable"/> when the model is not supported, or
    /// ENODEV when vfio_iommu_type1 is not loaded (kernel-facts section 1).
    /// </summary>
    public void SetIommu(VfioExtension model = VfioExtension.Type1v2) => throw new NotImplementedException();

    /// <summary>VFIO_IOMMU_GET_INFO with its capability chain (IOVA ranges, DMA mappings available).</summary>
    public IommuInfo GetIommuInfo() => throw new NotImplementedException();

    /// <summary>
    /// The container's IOVA allocator, built on first use from <see cref="GetIommuInfo"/>'s IOVA ranges
    /// and page size. <see cref="AllocateDma"/> takes IOVAs from it.
    /// </summary>
    public IovaAllocator Iova => throw new NotImplementedException();

    /// <summary>
    /// VFIO_IOMMU_MAP_DMA: maps <paramref name="length"/> bytes of this process's memory at
    /// <paramref name="virtualAddress"/> to <paramref name="iova"/>. The pages are pinned and charged to
    /// RLIMIT_MEMLOCK; ENOMEM is reported as <see cref="VfioErrorKind.MemlockLimit"/> with the limit and how
    /// to raise it. Prefer <see cref="AllocateDma"/>, which owns the memory and the mapping.
    /// </summary>
    public void MapDma(nuint virtualAddress, ulong iova, ulong length, DmaAccess access = DmaAccess.ReadWrite) => throw new NotImplementedException();

    /// <summary>VFIO_IOMMU_UNMAP_DMA of a range mapped before; returns the bytes the kernel unmapped.</summary>
    public ulong UnmapDma(ulong iova, ulong length) => throw new NotImplementedException();

    /// <summary>
    /// Allocates DMA memory (huge pages when the length suits and the system has them, else 4 KiB pages),
    /// takes an IOVA from <see cref="Iova"/> below <paramref name="dmaMask"/> and maps it.
    /// </summary>
    /// <param name="length">Bytes wanted; rounded up to the page size used.</param>
    /// <param name="dmaMask">The highest address the device can reach (edu: 0x0fffffff); null for no limit.</param>
    /// <param name="access">What the device may do with the memory.</param>
    /// <param name="pageSize">Huge, small, or automatic page choice.</param>
    public DmaBuffer AllocateDma(nuint length, ulong? dmaMask = null, DmaAccess access = DmaAccess.ReadWrite, DmaPageSize pageSize = DmaPageSize.Auto) =>
        throw new NotImplementedException();

    /// <summary>Closes the container fd. Close every device and unset every group first (<see cref="VfioSession"/> does).</summary>
    public void Dispose() => Handle.Dispose();
}
