namespace Vfio.Userspace;

/// <summary>What memory backs a <see cref="DmaBuffer"/>, and so how it is mapped for the device.</summary>
public enum DmaMemory
{
    /// <summary>Private anonymous memory of this process, mapped for the device by its address (every backend).</summary>
    Anonymous,

    /// <summary>
    /// A memfd (with <see cref="DmaPageSize.Huge"/>: a hugetlb memfd), mapped shared into this process for the
    /// CPU. The iommufd backend maps it for the device by file (IOMMU_IOAS_MAP_FILE, 6.13): the kernel
    /// pins the file's pages rather than walking this process's page tables. The container backend maps
    /// it by address. The memory can be handed to another process (<see cref="DmaBuffer.File"/>).
    /// </summary>
    Memfd,
}
