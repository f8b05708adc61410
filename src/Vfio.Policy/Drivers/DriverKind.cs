namespace Vfio.Policy.Drivers;

/// <summary>How a bound PCI driver relates to userspace ownership of a group.</summary>
public enum DriverKind
{
    /// <summary>No driver bound.</summary>
    None,
    /// <summary><c>vfio-pci</c> or a vfio-pci variant driver (vfio-pci-core based).</summary>
    Vfio,
    /// <summary><c>pci-stub</c>: claims a device and does nothing; used to fence group members.</summary>
    Stub,
    /// <summary><c>pcieport</c>: the PCIe port service driver on bridges.</summary>
    PciePort,
    /// <summary>Any other kernel driver: it may do DMA on the host's behalf.</summary>
    Host,
}

/// <summary>Classifies driver names.</summary>
public static class DriverKinds
{
    public const string VfioPci = "vfio-pci";
    public const string PciStub = "pci-stub";
    public const string PciePort = "pcieport";

    /// <summary>
    /// vfio-pci variants are named after their module (<c>mlx5_vfio_pci</c>, <c>hisi-acc-vfio-pci</c>,
    /// <c>xe-vfio-pci</c>): every mainline one carries "vfio-pci" or "vfio_pci" in its driver name.
    /// </summary>
    public static bool IsVfioDriver(string? driver) =>
        driver is not null && (driver == VfioPci || driver.Replace('_', '-').Contains("vfio-pci", StringComparison.Ordinal));

    /// <summary>
    /// True when a VFIO driver holds the device: its <c>vfio-dev/</c> directory exists (any VFIO
    /// driver, whatever its name; kernel-facts section 5), or, where that was not read, its
    /// driver's name says vfio-pci.
    /// </summary>
    public static bool OnVfio(Vfio.Host.Model.PciDevice d) => d.VfioDevice is not null || IsVfioDriver(d.Driver);

    /// <summary><see cref="Classify(string?)"/> of the device's driver, with a registered VFIO device counting as VFIO.</summary>
    public static DriverKind Classify(Vfio.Host.Model.PciDevice d) =>
        d.VfioDevice is not null && d.Driver is not null ? DriverKind.Vfio : Classify(d.Driver);

    public static DriverKind Classify(string? driver) => driver switch
    {
        null or "" => DriverKind.None,
        PciStub => DriverKind.Stub,
        PciePort => DriverKind.PciePort,
        _ when IsVfioDriver(driver) => DriverKind.Vfio,
        _ => DriverKind.Host,
    };
}
