namespace Vfio.Userspace;

/// <summary>
/// What VFIO_IOMMU_GET_INFO reports for a type1 container: the IOMMU page sizes and, when the kernel
/// gives the IOVA-range capability (4.18+ on x86), the IOVA ranges a mapping may use (reserved
/// regions such as the x86 MSI window 0xfee00000-0xfeefffff excluded).
/// </summary>
/// <param name="PageSizes">Bitmap of supported IOMMU page sizes (bit n set: 2^n bytes); the lowest bit is the mapping granule.</param>
/// <param name="IovaRanges">Valid IOVA ranges, or one range covering the whole 64-bit space when the kernel gives none.</param>
/// <param name="DmaMappingsAvailable">How many more DMA mappings the container accepts (dma_entry_limit), when reported.</param>
public sealed record IommuInfo(ulong PageSizes, IReadOnlyList<IovaRange> IovaRanges, uint? DmaMappingsAvailable)
{
    /// <summary>The smallest IOMMU page size: mappings and IOVAs are multiples of it.</summary>
    public ulong MinPageSize => PageSizes == 0 ? 4096 : PageSizes & (~PageSizes + 1);
}
