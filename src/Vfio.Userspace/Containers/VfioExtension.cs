namespace Vfio.Userspace;

/// <summary>
/// Container extensions and IOMMU models (the VFIO_*_IOMMU and extension constants of linux/vfio.h),
/// asked with <see cref="VfioContainer.CheckExtension"/>; the IOMMU models are also what
/// <see cref="VfioContainer.SetIommu"/> takes.
/// </summary>
public enum VfioExtension
{
    /// <summary>VFIO_TYPE1_IOMMU: the original type1 model.</summary>
    Type1 = 1,
    /// <summary>VFIO_SPAPR_TCE_IOMMU (POWER).</summary>
    SpaprTce = 2,
    /// <summary>VFIO_TYPE1v2_IOMMU: type1 with strict unmap semantics; what this library uses.</summary>
    Type1v2 = 3,
    /// <summary>VFIO_DMA_CC_IOMMU: the IOMMU enforces DMA cache coherence.</summary>
    DmaCacheCoherent = 4,
    /// <summary>VFIO_EEH (POWER error recovery).</summary>
    Eeh = 5,
    /// <summary>VFIO_TYPE1_NESTING_IOMMU.</summary>
    Type1Nesting = 6,
    /// <summary>VFIO_SPAPR_TCE_v2_IOMMU.</summary>
    SpaprTceV2 = 7,
    /// <summary>VFIO_NOIOMMU_IOMMU: no isolation at all (the unsafe no-IOMMU mode).</summary>
    NoIommu = 8,
    /// <summary>VFIO_UNMAP_ALL: VFIO_IOMMU_UNMAP_DMA accepts the ALL flag.</summary>
    UnmapAll = 9,
    /// <summary>VFIO_UPDATE_VADDR: mappings can change their virtual address.</summary>
    UpdateVaddr = 10,
}
