using System.Collections.Immutable;

namespace Vfio.Host.Model;

/// <summary>
/// Everything the host model read in one pass: devices, IOMMU groups, the kernel, and the
/// diagnosis when there is no IOMMU. Immutable; read again to see changes.
/// </summary>
public sealed record HostState
{
    /// <summary>The directory read as <c>/</c>.</summary>
    public required string Root { get; init; }
    /// <summary><c>/proc/sys/kernel/osrelease</c>, null when unreadable.</summary>
    public string? KernelRelease { get; init; }
    public KernelVersion? Kernel { get; init; }
    /// <summary>The kernel command line (<c>/proc/cmdline</c>).</summary>
    public string? CommandLine { get; init; }
    /// <summary>True when the kernel exposes IOMMU groups.</summary>
    public bool IommuEnabled => Groups.Length > 0;
    /// <summary>IOMMU units the kernel initialised (<c>/sys/class/iommu</c>: dmar0, ivhd0...).</summary>
    public ImmutableArray<string> IommuUnits { get; init; } = [];
    /// <summary>True when vfio's unsafe no-IOMMU mode is on (<c>enable_unsafe_noiommu_mode</c>).</summary>
    public bool NoIommuMode { get; init; }

    /// <summary><c>/dev/iommu</c> exists: the kernel has iommufd (devices can be opened through their cdev).</summary>
    public bool Iommufd { get; init; }

    /// <summary>The VFIO device cdevs in <c>/dev/vfio/devices</c> (<c>vfio0</c>...): empty on kernels without VFIO_DEVICE_CDEV.</summary>
    public ImmutableArray<string> VfioCdevs { get; init; } = [];

    /// <summary><c>/dev/vfio/devices/NAME</c> of a device's VFIO device, when that cdev exists.</summary>
    public string? CdevOf(PciDevice d) => d.VfioDevice is { } v && VfioCdevs.Contains(v) ? "/dev/vfio/devices/" + v : null;
    /// <summary>Bare metal or a virtual machine, and the CPU's address width.</summary>
    public MachineFacts Machine { get; init; } = MachineFacts.Unknown;
    /// <summary>All PCI functions, sorted by address.</summary>
    public ImmutableArray<PciDevice> Devices
    {
        get => _devices;
        // A copy made with 'with' gets new devices: the lookup built for the old ones must go.
        init { _devices = value; _byAddress = null; }
    }
    /// <summary>All IOMMU groups with PCI members, sorted by id.</summary>
    public ImmutableArray<IommuGroup> Groups
    {
        get => _groups;
        init { _groups = value; _byGroup = null; }
    }
    /// <summary>PCI drivers registered now (<c>/sys/bus/pci/drivers</c>).</summary>
    public ImmutableHashSet<string> PciDrivers { get; init; } = [];
    /// <summary>Modules the kernel has now, loaded or built in with parameters (<c>/sys/module</c>).</summary>
    public ImmutableHashSet<string> Modules { get; init; } = [];
    /// <summary>
    /// Processes holding each group's <c>/dev/vfio/N</c> open, by group; empty unless read with
    /// <see cref="Reading.HostReadOptions.GroupUsers"/>.
    /// </summary>
    public ImmutableDictionary<int, ImmutableArray<ProcessRef>> GroupUsers { get; init; } = ImmutableDictionary<int, ImmutableArray<ProcessRef>>.Empty;
    /// <summary>
    /// Processes holding VFIO device fds, with the device when the kernel names it; empty unless
    /// read with <see cref="Reading.HostReadOptions.GroupUsers"/>.
    /// </summary>
    public ImmutableArray<VfioDeviceFd> VfioDeviceFds { get; init; } = [];
    /// <summary>
    /// <c>/proc/iomem</c> as read: whether it could be read and whether its addresses were hidden
    /// (read without root). Each device's <see cref="PciDevice.BarConflicts"/> come from it.
    /// </summary>
    public IoMemMap IoMem { get; init; } = IoMemMap.Unavailable("/proc/iomem was not read.");
    /// <summary>Host-level problems met while reading (one sentence each).</summary>
    public ImmutableArray<string> Warnings { get; init; } = [];

    // Plain dictionaries: a frozen one is built once per short-lived command and its value-type
    // instantiations are compiled at run time, which costs more than the lookups it saves.
    private readonly ImmutableArray<PciDevice> _devices = [];
    private readonly ImmutableArray<IommuGroup> _groups = [];
    private Dictionary<PciAddress, PciDevice>? _byAddress;
    private Dictionary<int, IommuGroup>? _byGroup;

    public PciDevice? FindDevice(PciAddress address)
    {
        if (_byAddress is null)
        {
            var map = new Dictionary<PciAddress, PciDevice>(Devices.Length);
            foreach (var d in Devices) map.TryAdd(d.Address, d);
            _byAddress = map;
        }
        return _byAddress.GetValueOrDefault(address);
    }

    public IommuGroup? FindGroup(int id)
    {
        if (_byGroup is null)
        {
            var map = new Dictionary<int, IommuGroup>(Groups.Length);
            foreach (var g in Groups) map.TryAdd(g.Id, g);
            _byGroup = map;
        }
        return _byGroup.GetValueOrDefault(id);
    }

    /// <summary>The group of a device, when it has one.</summary>
    public IommuGroup? GroupOf(PciDevice device) => device.IommuGroup is { } g ? FindGroup(g) : null;
}
