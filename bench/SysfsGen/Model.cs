namespace SysfsGen;

/// <summary>PCI Express capability "device/port type" (PCI_EXP_FLAGS_TYPE); None = conventional PCI.</summary>
internal enum PcieType
{
    None = -1,
    Endpoint = 0,
    LegacyEndpoint = 1,
    RootPort = 4,
    UpstreamPort = 5,
    DownstreamPort = 6,
    PcieToPciBridge = 7,
    RcIntegrated = 9,
}

internal enum BarKind { Mem32, Mem64, Mem64Pref, Io }

/// <summary>A base address register: index 0-5, decode type, size in bytes (power of two).</summary>
internal readonly record struct Bar(int Index, BarKind Kind, ulong Size);

/// <summary>One line of the sysfs <c>resource</c> file: start, end, IORESOURCE_* flags.</summary>
internal struct Res
{
    public ulong Start, End, Flags;
    public readonly bool IsSet => Flags != 0 && End >= Start && End != 0;
}

/// <summary>What happens to a PF's virtual functions.</summary>
internal enum VfMode
{
    /// <summary>autoprobe off, driver_override=vfio-pci, bound to vfio-pci.</summary>
    Vfio,
    /// <summary>autoprobe on, bound to the vendor VF driver (iavf, mlx5_core, igbvf).</summary>
    Host,
    /// <summary>autoprobe off, nothing bound.</summary>
    Unbound,
    /// <summary>The PF itself is on vfio-pci (enable_sriov=1): VFs captured with driver_override.</summary>
    VfioPf,
}

internal sealed class SriovSpec
{
    public required ushort VfDevice { get; init; }
    public required int TotalVfs { get; init; }
    /// <summary>First VF offset; -1 packs the VFs of all PFs of the card one after another.</summary>
    public int Offset { get; init; } = -1;
    public int Stride { get; init; } = 1;
    public required Bar[] VfBars { get; init; }
    public required string VfDriver { get; init; }
    public int VfMsix { get; init; } = 4;
    /// <summary>Value of sriov_vf_total_msix (only drivers with sriov_get_vf_total_msix report one).</summary>
    public int VfTotalMsix { get; init; }
}

/// <summary>What a kind of PCI function looks like; instances are <see cref="PciFunction"/>.</summary>
internal sealed class Template
{
    public required ushort Vendor { get; init; }
    public required ushort Device { get; init; }
    public ushort SubVendor { get; init; }
    public ushort SubDevice { get; init; }
    public required uint Class { get; init; }
    public byte Revision { get; init; }
    public PcieType Pcie { get; init; } = PcieType.Endpoint;
    public Bar[] Bars { get; init; } = [];
    public ulong RomSize { get; init; }
    public string? Driver { get; init; }
    /// <summary>MSI-X table size, 0 for none.</summary>
    public int Msix { get; init; }
    public bool Msi { get; init; }
    /// <summary>Has an ACS capability with the isolation bits enabled (or an ACS quirk).</summary>
    public bool Acs { get; init; }
    /// <summary>PCIe link speed code (1=2.5, 2=5, 3=8, 4=16, 5=32 GT/s) and width.</summary>
    public int LinkSpeed { get; init; } = 3;
    public int LinkWidth { get; init; } = 4;
    public string? Reset { get; init; }
    public bool Dsn { get; init; }
    public bool Aer { get; init; } = true;
    public SriovSpec? Sriov { get; init; }
    /// <summary>Network driver that creates a netdev when bound; ice/mlx5 names get an npN suffix.</summary>
    public bool NetPortSuffix { get; init; }
    public string? Model { get; init; }
    public ulong Sectors { get; init; }

    public bool IsBridge => (Class >> 8) == 0x0604;
    public bool IsVga => (Class >> 8) == 0x0300;
    public bool IsNvme => Class == 0x010802;
    public bool IsNet => (Class >> 16) == 0x02;
    public bool IsPcie => Pcie != PcieType.None;
}

internal sealed class PciBus
{
    public required RootComplex Root { get; init; }
    /// <summary>The bridge whose secondary bus this is; null on a root bus and on VF-only buses.</summary>
    public PciFunction? Self { get; init; }
    public PciBus? Parent { get; init; }
    public int Number { get; set; } = -1;
    public List<PciFunction> Devices { get; } = [];
    /// <summary>Extra bus numbers reserved after this bus for VFs (pci_iov_bus_range).</summary>
    public int IovBuses { get; set; }
    /// <summary>Buses created for VFs that do not fit in the PF's bus (virtfn_add_bus).</summary>
    public List<PciBus> VirtualChildren { get; } = [];
    public bool IsVirtual { get; init; }

    public string Name => $"{Root.Domain:x4}:{Number:x2}";
}

internal sealed class RootComplex
{
    public required int Index { get; init; }
    public required int Socket { get; init; }
    public int Domain { get; set; }
    public PciBus Bus { get; set; } = null!;
    /// <summary>Bus numbers this root bus needs (itself, its subordinates, VF buses).</summary>
    public int BusDemand { get; set; }
    public int Dmar { get; set; }
    public string DirName => $"pci{Domain:x4}:{Bus.Number:x2}";
    public int Numa => Socket;
    /// <summary>Legacy-interrupt GSI base of this root bus's IOxAPIC.</summary>
    public int GsiBase { get; set; }
}

internal sealed class PciFunction
{
    public PciFunction(Template t, PciBus bus, int devfn)
    {
        T = t;
        Bus = bus;
        Devfn = devfn;
        Vendor = t.Vendor;
        Device = t.Device;
    }

    public Template T { get; }
    public PciBus Bus { get; set; }
    public int Devfn { get; set; }
    public ushort Vendor { get; set; }
    public ushort Device { get; set; }
    public int Domain => Bus.Root.Domain;
    public int BusNo => Bus.Number;
    public int Slot => Devfn >> 3;
    public int Func => Devfn & 7;
    public string Address => $"{Domain:x4}:{BusNo:x2}:{Slot:x2}.{Func:x}";

    /// <summary>The bridge above this function in the device tree (sysfs parent), null for root-bus devices.</summary>
    public PciFunction? Upstream => Physfn is not null ? Physfn.Upstream : Bus.Self;

    public bool Multifunction { get; set; }
    public string? Driver { get; set; }
    public string? Override { get; set; }

    // Bridges.
    public PciBus? Secondary { get; set; }
    public int SubordinateNo { get; set; }
    public Res IoWindow, MemWindow, PrefWindow;
    public bool VgaEnable { get; set; }
    public bool AriForwarding { get; set; }
    public int PhysSlot { get; set; }
    public bool HotplugSlot { get; set; }

    // SR-IOV.
    public PciFunction? Physfn { get; set; }
    public int VfId { get; set; } = -1;
    public List<PciFunction> Vfs { get; } = [];
    public int NumVfs { get; set; }
    public int SriovOffset { get; set; }
    public int SriovStride { get; set; } = 1;
    public VfMode VfMode { get; set; }
    public bool Autoprobe { get; set; } = true;
    /// <summary>PF index within its card (port number) for names and ARI next-function chains.</summary>
    public int Port { get; set; }
    public int PortsOnCard { get; set; } = 1;
    public bool IsVf => Physfn is not null;
    public bool IsPf => T.Sriov is not null && Physfn is null;
    public bool Ari { get; set; }

    public readonly Res[] R = new Res[17];

    public int Group { get; set; } = -1;
    public int Irq { get; set; }
    public List<int> MsiVectors { get; } = [];
    public bool MsiX { get; set; }
    public bool Enabled { get; set; }
    public bool Suspended { get; set; }
    public ulong Serial { get; set; }

    // Things hanging off the device in sysfs.
    public string? NetName { get; set; }
    public string? Mac { get; set; }
    public bool NetUp { get; set; }
    public int IfIndex { get; set; }
    public int NvmeIndex { get; set; } = -1;
    public int DrmCard { get; set; } = -1;
    public bool DrmRender { get; set; }
    public string? Label { get; set; }
    public int SmbiosIndex { get; set; }
    public bool BootVga { get; set; }
    public string? NvmeSerial { get; set; }

    /// <summary>Path of the device directory relative to OUTDIR, e.g. sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0.</summary>
    public string SysPath { get; set; } = "";

    public bool IsBridge => T.IsBridge && !IsVf;
    public bool IsPcie => T.IsPcie;
    public PcieType PcieType => T.Pcie;
    public int ConfigSize => T.IsPcie ? 4096 : 256;
    public override string ToString() => Address;
}
