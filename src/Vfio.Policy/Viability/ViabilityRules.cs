using Vfio.Host.Model;

namespace Vfio.Policy.Viability;

/// <summary>Which kernel rule decides whether a group member blocks userspace ownership.</summary>
public enum ViabilityRules
{
    /// <summary>
    /// 5.19 and later: drivers declare <c>driver_managed_dma</c>. vfio-pci and its variants,
    /// pci-stub and pcieport do; a member bound to any other driver makes the group non-viable
    /// (<c>iommu_device_use_default_domain</c> refuses to mix kernel DMA with a user-owned group).
    /// </summary>
    DriverManagedDma,
    /// <summary>
    /// Before 5.19 (<c>vfio_dev_viable</c>): a member is fine with no driver, a vfio driver,
    /// pci-stub, or any driver when its header type is not normal (bridges).
    /// </summary>
    Legacy,
}

public static class ViabilityRulesFor
{
    public static readonly KernelVersion DriverManagedDmaSince = new(5, 19);

    /// <summary>The rules of the given kernel; the modern ones when the version is unknown.</summary>
    public static ViabilityRules Kernel(KernelVersion? version) =>
        version is { } v && v < DriverManagedDmaSince ? ViabilityRules.Legacy : ViabilityRules.DriverManagedDma;
}
