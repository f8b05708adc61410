namespace Vfio.Userspace;

/// <summary>A device of an IOMMU group and the driver bound to it (null when none), as sysfs shows them.</summary>
/// <param name="Name">The device's name in the group, for PCI its address (<c>0000:03:01.0</c>).</param>
/// <param name="Driver">The bound driver's name, or null.</param>
public sealed record VfioGroupMember(string Name, string? Driver)
{
    /// <summary>
    /// Whether this member keeps the group viable: no driver, a vfio driver, pci-stub or pcieport
    /// (the drivers with driver_managed_dma, 5.19+; kernel-facts section 1).
    /// </summary>
    public bool AllowsUserOwnership =>
        Driver is null || Driver == "pci-stub" || Driver == "pcieport" || Driver.StartsWith("vfio", StringComparison.Ordinal) ||
        Driver.EndsWith("vfio-pci", StringComparison.Ordinal) || Driver.EndsWith("vfio_pci", StringComparison.Ordinal);
}
