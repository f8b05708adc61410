using System.Collections.Immutable;

namespace Vfio.Host.Model;

/// <summary>
/// One PCI function as sysfs describes it. Every field that sysfs may fail to give is nullable;
/// what could not be read is listed in <see cref="Warnings"/>.
/// </summary>
public sealed record PciDevice
{
    public required PciAddress Address { get; init; }
    /// <summary>Vendor id (<c>vendor</c>); for VFs the kernel reports the PF's vendor, not the 0xffff of config space.</summary>
    public ushort? VendorId { get; init; }
    public ushort? DeviceId { get; init; }
    public ushort? SubsystemVendorId { get; init; }
    public ushort? SubsystemDeviceId { get; init; }
    public PciClass? Class { get; init; }
    public byte? Revision { get; init; }
    /// <summary><c>pci:v%08Xd%08X...</c>, without the trailing newline.</summary>
    public string? Modalias { get; init; }
    /// <summary>The PCI driver bound now (name behind the <c>driver</c> link), null when unbound.</summary>
    public string? Driver { get; init; }
    /// <summary>The <c>driver_override</c> value, null when unset (<c>(null)</c> in sysfs).</summary>
    public string? DriverOverride { get; init; }
    public int? IommuGroup { get; init; }
    public int? NumaNode { get; init; }
    /// <summary>The firmware's boot display (<c>boot_vga</c> = 1): taking it takes the host console.</summary>
    public bool BootVga { get; init; }
    /// <summary>Header type from config space (0 normal, 1 PCI-PCI bridge, 2 CardBus); null when unreadable.</summary>
    public byte? HeaderType { get; init; }
    /// <summary>Reset methods from <c>reset_method</c> in the kernel's order of preference; empty when none or absent.</summary>
    public ImmutableArray<string> ResetMethods { get; init; } = [];
    /// <summary>SR-IOV physical function facts, when this device is a PF.</summary>
    public SriovInfo? Sriov { get; init; }
    /// <summary>For a VF, the address of its PF (<c>physfn</c> link).</summary>
    public PciAddress? PhysFn { get; init; }
    /// <summary>The bridge or port this device sits behind, from the sysfs device path; null on a root bus.</summary>
    public PciAddress? Parent { get; init; }
    /// <summary>BARs, ROM and (for a PF) VF BARs from <c>resource</c>, with Resizable BAR sizes where config space shows them; read only with details.</summary>
    public ImmutableArray<PciBar> Bars { get; init; } = [];
    /// <summary>For a function on virtio-pci: its virtio device and what was negotiated; else null.</summary>
    public VirtioFunction? Virtio { get; init; }
    /// <summary>
    /// The VFIO device's name (<c>vfio0</c>) from the function's <c>vfio-dev/</c> directory: present
    /// whenever a VFIO driver (vfio-pci, a variant, a vendor's) has registered the function; its
    /// cdev is <c>/dev/vfio/devices/vfio0</c> on kernels with VFIO_DEVICE_CDEV
    /// (kernel-facts section 5). Null when no VFIO driver holds it (read only when a driver is bound).
    /// </summary>
    public string? VfioDevice { get; init; }
    /// <summary>
    /// BARs the firmware framebuffer keeps reserved in <c>/proc/iomem</c> (BOOTFB, simpledrm, efifb...):
    /// vfio-pci cannot reserve them (kernel-facts section 10). Empty when there are none or
    /// <c>/proc/iomem</c> could not be read (<see cref="HostState.IoMem"/> says which).
    /// </summary>
    public ImmutableArray<BarConflict> BarConflicts { get; init; } = [];
    /// <summary>Host use of this device: block devices, network interfaces, DRM cards.</summary>
    public ImmutableArray<DeviceHolder> Holders { get; init; } = [];
    /// <summary>What could not be read, one sentence each.</summary>
    public ImmutableArray<string> Warnings { get; init; } = [];

    /// <summary>"vvvv:dddd" lower-case, or null when either id is unknown.</summary>
    public string? VendorDevice => VendorId is { } v && DeviceId is { } d ? $"{v:x4}:{d:x4}" : null;

    /// <summary>A bridge by header type (or by class when config space was unreadable).</summary>
    public bool IsBridge => HeaderType is { } h ? (h & 0x7f) != 0 : Class is { IsPciBridge: true };

    public bool IsVirtualFunction => PhysFn is not null;
}
