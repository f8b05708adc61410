namespace Vfio.Userspace.Interop;

/// <summary>
/// VFIO ioctl numbers and flags (linux/vfio.h; kernel-facts section 5). Every request is
/// <c>_IO(';', 100 + n)</c> = 0x3B64 + n: the size is not encoded, the structs carry argsz.
/// KernelStructLayoutTests compares every constant here with the value gcc gives for the header.
/// </summary>
internal static class VfioIoctl
{
    public const int VFIO_API_VERSION = 0;

    // Extensions (VFIO_CHECK_EXTENSION) and IOMMU models (VFIO_SET_IOMMU); VfioExtension has the same values.
    public const uint VFIO_TYPE1_IOMMU = 1;
    public const uint VFIO_SPAPR_TCE_IOMMU = 2;
    public const uint VFIO_TYPE1v2_IOMMU = 3;
    public const uint VFIO_DMA_CC_IOMMU = 4;
    public const uint VFIO_EEH = 5;
    public const uint VFIO_TYPE1_NESTING_IOMMU = 6;
    public const uint VFIO_SPAPR_TCE_v2_IOMMU = 7;
    public const uint VFIO_NOIOMMU_IOMMU = 8;
    public const uint VFIO_UNMAP_ALL = 9;
    public const uint VFIO_UPDATE_VADDR = 10;

    public const nuint VFIO_GET_API_VERSION = 0x3B64;
    public const nuint VFIO_CHECK_EXTENSION = 0x3B65;
    public const nuint VFIO_SET_IOMMU = 0x3B66;
    public const nuint VFIO_GROUP_GET_STATUS = 0x3B67;
    public const nuint VFIO_GROUP_SET_CONTAINER = 0x3B68;
    public const nuint VFIO_GROUP_UNSET_CONTAINER = 0x3B69;
    public const nuint VFIO_GROUP_GET_DEVICE_FD = 0x3B6A;
    public const nuint VFIO_DEVICE_GET_INFO = 0x3B6B;
    public const nuint VFIO_DEVICE_GET_REGION_INFO = 0x3B6C;
    public const nuint VFIO_DEVICE_GET_IRQ_INFO = 0x3B6D;
    public const nuint VFIO_DEVICE_SET_IRQS = 0x3B6E;
    public const nuint VFIO_DEVICE_RESET = 0x3B6F;
    public const nuint VFIO_DEVICE_GET_PCI_HOT_RESET_INFO = 0x3B70;
    public const nuint VFIO_DEVICE_PCI_HOT_RESET = 0x3B71;
    public const nuint VFIO_DEVICE_FEATURE = 0x3B75;
    // The device cdev (6.6): bind to an iommufd, attach to / detach from an IOAS or page table.
    public const nuint VFIO_DEVICE_BIND_IOMMUFD = 0x3B76;
    public const nuint VFIO_DEVICE_ATTACH_IOMMUFD_PT = 0x3B77;
    public const nuint VFIO_DEVICE_DETACH_IOMMUFD_PT = 0x3B78;
    public const nuint VFIO_IOMMU_GET_INFO = 0x3B70;
    public const nuint VFIO_IOMMU_MAP_DMA = 0x3B71;
    public const nuint VFIO_IOMMU_UNMAP_DMA = 0x3B72;

    public const uint VFIO_GROUP_FLAGS_VIABLE = 1 << 0;
    public const uint VFIO_GROUP_FLAGS_CONTAINER_SET = 1 << 1;

    public const uint VFIO_DEVICE_FLAGS_RESET = 1 << 0;
    public const uint VFIO_DEVICE_FLAGS_PCI = 1 << 1;
    public const uint VFIO_DEVICE_FLAGS_CAPS = 1 << 7;

    public const uint VFIO_REGION_INFO_FLAG_READ = 1 << 0;
    public const uint VFIO_REGION_INFO_FLAG_WRITE = 1 << 1;
    public const uint VFIO_REGION_INFO_FLAG_MMAP = 1 << 2;
    public const uint VFIO_REGION_INFO_FLAG_CAPS = 1 << 3;

    public const ushort VFIO_REGION_INFO_CAP_SPARSE_MMAP = 1;
    public const ushort VFIO_REGION_INFO_CAP_TYPE = 2;
    public const ushort VFIO_REGION_INFO_CAP_MSIX_MAPPABLE = 3;

    public const uint VFIO_IRQ_INFO_EVENTFD = 1 << 0;
    public const uint VFIO_IRQ_INFO_MASKABLE = 1 << 1;
    public const uint VFIO_IRQ_INFO_AUTOMASKED = 1 << 2;
    public const uint VFIO_IRQ_INFO_NORESIZE = 1 << 3;

    public const uint VFIO_IRQ_SET_DATA_NONE = 1 << 0;
    public const uint VFIO_IRQ_SET_DATA_BOOL = 1 << 1;
    public const uint VFIO_IRQ_SET_DATA_EVENTFD = 1 << 2;
    public const uint VFIO_IRQ_SET_ACTION_MASK = 1 << 3;
    public const uint VFIO_IRQ_SET_ACTION_UNMASK = 1 << 4;
    public const uint VFIO_IRQ_SET_ACTION_TRIGGER = 1 << 5;

    public const uint VFIO_DEVICE_BIND_FLAG_TOKEN = 1 << 0;

    public const uint VFIO_PCI_HOT_RESET_FLAG_DEV_ID = 1 << 0;
    public const uint VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED = 1 << 1;

    public const uint VFIO_DEVICE_FEATURE_GET = 1 << 16;
    public const uint VFIO_DEVICE_FEATURE_SET = 1 << 17;
    public const uint VFIO_DEVICE_FEATURE_PROBE = 1 << 18;
    public const uint VFIO_DEVICE_FEATURE_PCI_VF_TOKEN = 0;

    public const uint VFIO_IOMMU_INFO_PGSIZES = 1 << 0;
    public const uint VFIO_IOMMU_INFO_CAPS = 1 << 1;
    public const ushort VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE = 1;
    public const ushort VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL = 3;

    public const uint VFIO_DMA_MAP_FLAG_READ = 1 << 0;
    public const uint VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;
    public const uint VFIO_DMA_UNMAP_FLAG_ALL = 1 << 1;
}
