namespace SysfsGen;

/// <summary>
/// The kinds of PCI functions the synthetic host is made of: a two-socket Intel Skylake-SP
/// server (C620 PCH, Supermicro board) with real vendor/device/subsystem ids from pci.ids,
/// realistic BAR layouts, MSI-X table sizes, reset methods and drivers.
/// </summary>
internal static class Catalog
{
    private const ushort Intel = 0x8086, Board = 0x15d9, BoardId = 0x095d;

    private static Bar M32(int i, ulong size) => new(i, BarKind.Mem32, size);
    private static Bar M64(int i, ulong size) => new(i, BarKind.Mem64, size);
    private static Bar P64(int i, ulong size) => new(i, BarKind.Mem64Pref, size);
    private static Bar Io(int i, ulong size) => new(i, BarKind.Io, size);

    private const ulong K = 1024, M = 1024 * 1024, G = 1024 * 1024 * 1024;

    // --- CPU integrated I/O (IIO) -----------------------------------------------------------
    public static readonly Template SklDmi = new() { Vendor = Intel, Device = 0x2020, Revision = 0x04, Class = 0x060000, SubVendor = Board, SubDevice = BoardId, Pcie = PcieType.RcIntegrated, Aer = false };
    public static readonly Template Cbdma = new() { Vendor = Intel, Device = 0x2021, Revision = 0x04, Class = 0x088000, SubVendor = Board, SubDevice = BoardId, Pcie = PcieType.RcIntegrated, Bars = [M64(0, 16 * K)], Driver = "ioatdma", Msix = 1, Aer = false };
    public static readonly Template IioVtd = new() { Vendor = Intel, Device = 0x2024, Revision = 0x04, Class = 0x088000, Pcie = PcieType.RcIntegrated, Aer = false };
    public static readonly Template IioRas = new() { Vendor = Intel, Device = 0x2025, Revision = 0x04, Class = 0x088000, Pcie = PcieType.RcIntegrated, Aer = false };
    public static readonly Template IioApic = new() { Vendor = Intel, Device = 0x2026, Revision = 0x04, Class = 0x088000, Pcie = PcieType.RcIntegrated, Aer = false };
    public static readonly Template StackVtd = new() { Vendor = Intel, Device = 0x2034, Revision = 0x04, Class = 0x088000, Pcie = PcieType.RcIntegrated, Aer = false };
    public static readonly Template StackRas = new() { Vendor = Intel, Device = 0x2035, Revision = 0x04, Class = 0x088000, Pcie = PcieType.RcIntegrated, Aer = false };
    public static readonly Template StackApic = new() { Vendor = Intel, Device = 0x2036, Revision = 0x04, Class = 0x088000, Pcie = PcieType.RcIntegrated, Aer = false };

    public static Template StackRootPort(int letter) => RootPorts[letter];
    private static readonly Template[] RootPorts =
    [
        .. Enumerable.Range(0, 4).Select(i => new Template
        {
            Vendor = Intel, Device = (ushort)(0x2030 + i), Revision = 0x04, Class = 0x060400, SubVendor = Board, SubDevice = BoardId,
            Pcie = PcieType.RootPort, Driver = "pcieport", Msi = true, Acs = true, LinkSpeed = 3, LinkWidth = 16,
        }),
    ];

    // --- C620 PCH -------------------------------------------------------------------------------
    public static readonly Template Xhci = new() { Vendor = Intel, Device = 0xa1af, Revision = 0x09, Class = 0x0c0330, SubVendor = Board, SubDevice = BoardId, Pcie = PcieType.None, Bars = [M64(0, 64 * K)], Driver = "xhci_hcd", Msi = true };
    public static readonly Template Thermal = new() { Vendor = Intel, Device = 0xa1b1, Revision = 0x09, Class = 0x118000, SubVendor = Board, SubDevice = BoardId, Pcie = PcieType.None, Bars = [M64(0, 4 * K)], Driver = "intel_pch_thermal", Msi = true };
    public static readonly Template Mei = new() { Vendor = Intel, Device = 0xa1ba, Revision = 0x09, Class = 0x078000, SubVendor = Board, SubDevice = BoardId, Pcie = PcieType.None, Bars = [M64(0, 4 * K)], Driver = "mei_me", Msi = true, Reset = "pm" };
    public static readonly Template Ssata = new() { Vendor = Intel, Device = 0xa1d2, Revision = 0x09, Class = 0x010601, SubVendor = Board, SubDevice = BoardId, Pcie = PcieType.None, Bars = [M32(0, 8 * K), M32(1, 256), Io(2, 8), Io(3, 4), Io(4, 32), M32(5, 2 * K)], Driver = "ahci", Msi = true, Reset = "pm" };
    public static readonly Template Sata = new() { Vendor = Intel, Device = 0xa182, Revision = 0x09, Class = 0x010601, SubVendor = Board, SubDevice = BoardId, Pcie = PcieType.None, Bars = [M32(0, 8 * K), M32(1, 256), Io(2, 8), Io(3, 4), Io(4, 32), M32(5, 2 * K)], Driver = "ahci", Msi = true, Reset = "pm" };
    public static readonly Template Lpc = new() { Vendor = Intel, Device = 0xa1c1, Revision = 0x09, Class = 0x060100, SubVendor = Board, SubDevice = BoardId, Pcie = PcieType.None };
    public static readonly Template Pmc = new() { Vendor = Intel, Device = 0xa1a1, Revision = 0x09, Class = 0x058000, SubVendor = Board, SubDevice = BoardId, Pcie = PcieType.None, Bars = [M32(0, 16 * K)] };
    public static readonly Template Smbus = new() { Vendor = Intel, Device = 0xa1a3, Revision = 0x09, Class = 0x0c0500, SubVendor = Board, SubDevice = BoardId, Pcie = PcieType.None, Bars = [M64(0, 256), Io(4, 32)], Driver = "i801_smbus" };
    public static readonly Template Spi = new() { Vendor = Intel, Device = 0xa1a4, Revision = 0x09, Class = 0x0c8000, SubVendor = Board, SubDevice = BoardId, Pcie = PcieType.None, Bars = [M32(0, 4 * K)] };

    /// <summary>PCH root port #n (1-based). Intel PCH ports have no real ACS; the kernel's
    /// pci_quirk_intel_pch_acs makes them isolated, except where <paramref name="acs"/> is false.</summary>
    public static Template PchRootPort(int n, bool acs, int width) => new()
    {
        Vendor = Intel, Device = (ushort)(0xa18f + n), Revision = 0xf9, Class = 0x060400, SubVendor = Board, SubDevice = BoardId,
        Pcie = PcieType.RootPort, Driver = "pcieport", Msi = true, Acs = acs, LinkSpeed = 3, LinkWidth = width,
    };

    // --- Onboard devices behind PCH root ports --------------------------------------------------
    public static readonly Template AstBridge = new() { Vendor = 0x1a03, Device = 0x1150, Revision = 0x04, Class = 0x060400, Pcie = PcieType.PcieToPciBridge, LinkSpeed = 1, LinkWidth = 1, Aer = false };
    public static readonly Template AstVga = new() { Vendor = 0x1a03, Device = 0x2000, Revision = 0x41, Class = 0x030000, SubVendor = Board, SubDevice = BoardId, Pcie = PcieType.None, Bars = [M32(0, 16 * M), M32(1, 128 * K), Io(2, 128)], Driver = "ast" };
    public static readonly Template I210 = new() { Vendor = Intel, Device = 0x1533, Revision = 0x03, Class = 0x020000, SubVendor = Board, SubDevice = 0x1533, Bars = [M32(0, 512 * K), Io(2, 32), M32(3, 16 * K)], Driver = "igb", Msix = 5, Msi = true, LinkSpeed = 1, LinkWidth = 1, Reset = "flr bus", Dsn = true };
    public static readonly Template TiBridge = new() { Vendor = 0x104c, Device = 0x8240, Revision = 0x00, Class = 0x060400, Pcie = PcieType.PcieToPciBridge, LinkSpeed = 1, LinkWidth = 1, Aer = false };
    public static readonly Template E1000 = new() { Vendor = Intel, Device = 0x107c, Revision = 0x05, Class = 0x020000, SubVendor = Intel, SubDevice = 0x1376, Pcie = PcieType.None, Bars = [M32(0, 128 * K), M32(1, 128 * K), Io(2, 64)], RomSize = 128 * K, Driver = "e1000", Reset = "pm" };
    public static readonly Template Exar = new() { Vendor = 0x13a8, Device = 0x0152, Revision = 0x02, Class = 0x070002, SubVendor = 0x13a8, SubDevice = 0x0152, Pcie = PcieType.None, Bars = [M32(0, 2 * K)], Driver = "exar_serial" };

    // --- Add-in cards ------------------------------------------------------------------------------
    public static readonly Template Pm983 = new() { Vendor = 0x144d, Device = 0xa808, Revision = 0x00, Class = 0x010802, SubVendor = 0x144d, SubDevice = 0xa801, Bars = [M64(0, 16 * K)], Driver = "nvme", Msix = 33, Msi = true, LinkSpeed = 3, LinkWidth = 4, Reset = "flr bus", Model = "Samsung SSD 970 EVO Plus 1TB", Sectors = 1953525168 };
    public static readonly Template P3700 = new() { Vendor = Intel, Device = 0x0953, Revision = 0x01, Class = 0x010802, SubVendor = Intel, SubDevice = 0x3702, Bars = [M64(0, 16 * K)], RomSize = 64 * K, Driver = "nvme", Msix = 32, Msi = true, LinkSpeed = 3, LinkWidth = 4, Reset = "flr bus", Dsn = true, Model = "INTEL SSDPEDMD016T4", Sectors = 3125627568 };
    public static readonly Template Rtx3090 = new() { Vendor = 0x10de, Device = 0x2204, Revision = 0xa1, Class = 0x030000, SubVendor = 0x10de, SubDevice = 0x147d, Bars = [M32(0, 16 * M), P64(1, 256 * M), P64(3, 32 * M), Io(5, 128)], RomSize = 512 * K, Driver = "nouveau", Msi = true, LinkSpeed = 4, LinkWidth = 16, Reset = "pm" };
    public static readonly Template Rtx3090Audio = new() { Vendor = 0x10de, Device = 0x1aef, Revision = 0xa1, Class = 0x040300, SubVendor = 0x10de, SubDevice = 0x147d, Bars = [M32(0, 16 * K)], Driver = "snd_hda_intel", Msi = true, LinkSpeed = 4, LinkWidth = 16, Reset = "pm" };
    public static readonly Template A100 = new() { Vendor = 0x10de, Device = 0x20b5, Revision = 0xa1, Class = 0x030200, SubVendor = 0x10de, SubDevice = 0x1533, Bars = [M32(0, 16 * M), P64(1, 128 * G), P64(3, 32 * M)], Driver = "vfio-pci", Msix = 6, Msi = true, LinkSpeed = 4, LinkWidth = 16, Reset = "flr bus", Dsn = true };
    public static readonly Template Sas3008 = new() { Vendor = 0x1000, Device = 0x0097, Revision = 0x02, Class = 0x010700, SubVendor = 0x1000, SubDevice = 0x30e0, Bars = [Io(0, 256), M64(1, 64 * K), M64(3, 256 * K)], RomSize = M, Driver = "mpt3sas", Msix = 96, Msi = true, LinkSpeed = 3, LinkWidth = 8, Reset = "bus" };
    public static readonly Template PlxUp = new() { Vendor = 0x10b5, Device = 0x8747, Revision = 0xca, Class = 0x060400, SubVendor = 0x10b5, SubDevice = 0x8747, Pcie = PcieType.UpstreamPort, Bars = [M32(0, 256 * K)], Driver = "pcieport", Msi = true, LinkSpeed = 3, LinkWidth = 16 };
    public static readonly Template PlxDown = new() { Vendor = 0x10b5, Device = 0x8747, Revision = 0xca, Class = 0x060400, SubVendor = 0x10b5, SubDevice = 0x8747, Pcie = PcieType.DownstreamPort, Driver = "pcieport", Msi = true, Acs = true, LinkSpeed = 3, LinkWidth = 16 };

    // --- SR-IOV NICs -----------------------------------------------------------------------------
    public static readonly Template I350 = new()
    {
        Vendor = Intel, Device = 0x1521, Revision = 0x01, Class = 0x020000, SubVendor = Intel, SubDevice = 0x0001,
        Bars = [M32(0, M), Io(2, 32), M32(3, 16 * K)], Driver = "igb", Msix = 10, Msi = true, LinkSpeed = 2, LinkWidth = 4,
        Reset = "flr", Dsn = true, Acs = false,
        Sriov = new() { VfDevice = 0x1520, TotalVfs = 7, Offset = 0x180, Stride = 4, VfBars = [M64(0, 16 * K), M64(3, 16 * K)], VfDriver = "igbvf", VfMsix = 3 },
    };

    public static readonly Template E810 = new()
    {
        Vendor = Intel, Device = 0x159b, Revision = 0x02, Class = 0x020000, SubVendor = Intel, SubDevice = 0x0002,
        Bars = [P64(0, 32 * M), P64(3, 64 * K)], RomSize = M, Driver = "ice", Msix = 1024, Msi = true, LinkSpeed = 4, LinkWidth = 8,
        Reset = "flr", Dsn = true, Acs = true, NetPortSuffix = true,
        Sriov = new() { VfDevice = 0x1889, TotalVfs = 128, VfBars = [P64(0, 128 * K), P64(3, 16 * K)], VfDriver = "iavf", VfMsix = 17 },
    };

    public static readonly Template ConnectX6 = new()
    {
        Vendor = 0x15b3, Device = 0x101b, Revision = 0x00, Class = 0x020000, SubVendor = 0x15b3, SubDevice = 0x0007,
        Bars = [P64(0, 32 * M)], RomSize = M, Driver = "mlx5_core", Msix = 64, Msi = false, LinkSpeed = 4, LinkWidth = 16,
        Reset = "flr", Dsn = true, Acs = true, NetPortSuffix = true,
        Sriov = new() { VfDevice = 0x101c, TotalVfs = 127, VfBars = [P64(0, M)], VfDriver = "mlx5_core", VfMsix = 12, VfTotalMsix = 1600 },
    };

    public static readonly Template X710 = new()
    {
        Vendor = Intel, Device = 0x1572, Revision = 0x02, Class = 0x020000, SubVendor = Intel, SubDevice = 0x0001,
        Bars = [P64(0, 8 * M), P64(3, 32 * K)], RomSize = 512 * K, Driver = "i40e", Msix = 129, Msi = true, LinkSpeed = 3, LinkWidth = 8,
        Reset = "flr", Dsn = true, Acs = true,
        Sriov = new() { VfDevice = 0x154c, TotalVfs = 32, VfBars = [P64(0, 64 * K), P64(3, 16 * K)], VfDriver = "iavf", VfMsix = 5 },
    };

    /// <summary>Filler SR-IOV cards: template, number of ports (PFs), relative weight.</summary>
    public static readonly (Template T, int Ports, int Weight)[] Fillers =
    [
        (E810, 2, 40),
        (ConnectX6, 2, 35),
        (X710, 4, 25),
    ];

    private static readonly Dictionary<Template, Template> VfTemplates = [];

    /// <summary>The template of a PF's virtual functions (same class, revision, subsystem).</summary>
    public static Template VfOf(Template pf)
    {
        lock (VfTemplates)
        {
            if (VfTemplates.TryGetValue(pf, out var vf)) return vf;
            var s = pf.Sriov!;
            vf = new Template
            {
                Vendor = pf.Vendor, Device = s.VfDevice, Revision = pf.Revision, Class = pf.Class,
                SubVendor = pf.SubVendor, SubDevice = pf.SubDevice, Pcie = PcieType.Endpoint, Bars = s.VfBars,
                Driver = s.VfDriver, Msix = s.VfMsix, Msi = false, LinkSpeed = 0, LinkWidth = 0, Reset = "flr", Aer = false,
            };
            VfTemplates[pf] = vf;
            return vf;
        }
    }

    /// <summary>Kernel module providing each PCI driver; null for built-in (no module link).</summary>
    public static readonly IReadOnlyDictionary<string, string?> Modules = new Dictionary<string, string?>
    {
        ["pcieport"] = null,
        ["ahci"] = "ahci",
        ["xhci_hcd"] = "xhci_pci",
        ["intel_pch_thermal"] = "intel_pch_thermal",
        ["mei_me"] = "mei_me",
        ["i801_smbus"] = "i2c_i801",
        ["ioatdma"] = "ioatdma",
        ["ast"] = "ast",
        ["igb"] = "igb",
        ["igbvf"] = "igbvf",
        ["e1000"] = "e1000",
        ["exar_serial"] = "8250_exar",
        ["nvme"] = "nvme",
        ["mpt3sas"] = "mpt3sas",
        ["nouveau"] = "nouveau",
        ["snd_hda_intel"] = "snd_hda_intel",
        ["vfio-pci"] = "vfio_pci",
        ["ice"] = "ice",
        ["iavf"] = "iavf",
        ["i40e"] = "i40e",
        ["mlx5_core"] = "mlx5_core",
    };
}
