namespace Vfio.Tests.Simulation;

/// <summary>
/// Lines of the lab kernel's own <c>modules.dep</c> and <c>modules.softdep</c>
/// (<c>/lib/modules/6.12.117+deb12-amd64/</c>, Debian's linux-image-6.12.117+deb12-amd64-unsigned
/// as the lab caches it), for the modules the execution layer loads. Captured trees carry
/// <c>modules.alias</c> and <c>modules.builtin</c> but not these two files, and pci_stub (no id table,
/// so no alias) and the vfio core modules would otherwise be unknown to the simulated modprobe.
/// Used only when the tree has no file of its own.
/// </summary>
internal static class LabKernelModuleFacts
{
    public const string ModulesDep = """
        kernel/virt/lib/irqbypass.ko.xz:
        kernel/drivers/pci/pci-stub.ko.xz:
        kernel/drivers/vfio/vfio.ko.xz:
        kernel/drivers/vfio/vfio_iommu_type1.ko.xz: kernel/drivers/vfio/vfio.ko.xz
        kernel/drivers/vfio/pci/vfio-pci-core.ko.xz: kernel/drivers/vfio/vfio.ko.xz kernel/virt/lib/irqbypass.ko.xz
        kernel/drivers/vfio/pci/vfio-pci.ko.xz: kernel/drivers/vfio/pci/vfio-pci-core.ko.xz kernel/drivers/vfio/vfio.ko.xz kernel/virt/lib/irqbypass.ko.xz
        kernel/drivers/net/ethernet/intel/e1000/e1000.ko.xz:
        kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko.xz:
        """;

    /// <summary>
    /// vfio's MODULE_SOFTDEP: modprobe loads vfio_iommu_type1 right after vfio, so
    /// <c>modprobe vfio-pci</c> brings it in (seen in lab guests on 6.12 and 6.1).
    /// </summary>
    public const string ModulesSoftdep = """
        softdep vfio post: vfio_iommu_type1 vfio_iommu_spapr_tce
        """;

    /// <summary>
    /// PCI driver names that differ from their module's name (<c>struct pci_driver .name</c>).
    /// Trees also say it through <c>/sys/bus/pci/drivers/NAME/module</c>; this covers modules that
    /// were not loaded when the tree was captured.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> DriverNames = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["vfio_pci"] = "vfio-pci",          // drivers/vfio/pci/vfio_pci.c
        ["pci_stub"] = "pci-stub",          // drivers/pci/pci-stub.c
        ["pcieportdrv"] = "pcieport",       // drivers/pci/pcie/portdrv.c
        ["virtio_pci"] = "virtio-pci",
        ["i2c_i801"] = "i801_smbus",
        ["8250_pci"] = "serial",
        ["xe_vfio_pci"] = "xe-vfio-pci",
    };

    /// <summary>
    /// PCI drivers of the lab's devices with a <c>sriov_configure</c> callback: nvme
    /// (pci_sriov_configure_simple). vfio-pci has one too, gated by its enable_sriov parameter.
    /// </summary>
    public static readonly IReadOnlySet<string> DriversWithSriovConfigure = new HashSet<string>(StringComparer.Ordinal) { "nvme" };

    /// <summary>
    /// Bool parameters a module shows in <c>/sys/module/M/parameters</c> from the moment it loads,
    /// with their defaults, read back as Y or N (seen for vfio_pci on 6.12).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, bool>> BoolParameters = new Dictionary<string, IReadOnlyDictionary<string, bool>>(StringComparer.Ordinal)
    {
        ["vfio_pci"] = new Dictionary<string, bool>(StringComparer.Ordinal)
        {
            ["disable_denylist"] = false, ["disable_idle_d3"] = false, ["disable_vga"] = false, ["enable_sriov"] = false, ["nointxmask"] = false,
        },
    };

    /// <summary>Modules that register a PCI driver although modules.alias has no pci: line for them (no id table).</summary>
    public static readonly IReadOnlySet<string> PciDriversWithoutAliases = new HashSet<string>(StringComparer.Ordinal) { "pci_stub" };
}
