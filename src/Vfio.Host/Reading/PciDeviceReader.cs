using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Host.Sysfs;

namespace Vfio.Host.Reading;

/// <summary>
/// Reads one device directory. The ids, class, modalias and driver come from <c>uevent</c> in one
/// read (pci_uevent writes PCI_CLASS, PCI_ID, PCI_SUBSYS_ID, MODALIAS; the driver core adds
/// DRIVER when bound); what uevent lacks is read from the single-value attributes, so a
/// truncated or odd uevent costs speed, never correctness.
/// </summary>
internal static class PciDeviceReader
{
    // details: also read revision, NUMA node, reset methods and the upstream bridge (HostReadOptions.Details).
    public static PciDevice Read(HostFiles files, PciAddress address, bool details = true)
    {
        var name = address.ToString();
        var busEntry = $"{HostReader.PciDevicesDir}/{name}";
        var warnings = new List<string>();

        // Resolve the device's real directory once (the entry is a relative link into /sys/devices);
        // the link is only needed for the upstream bridge: without details, read through the entry.
        var devicePath = details ? files.ReadLink(busEntry) : null;
        var dir = devicePath is null ? busEntry : HostPath.Resolve(HostReader.PciDevicesDir, devicePath);

        var uevent = Uevent.Parse(files.ReadAttribute($"{dir}/uevent"));
        if (uevent is null && !files.DirectoryExists(dir))
            return Gone(address, name);

        ushort? vendor = uevent?.Vendor, device = uevent?.Device, subVendor = uevent?.SubVendor, subDevice = uevent?.SubDevice;
        ushort? Id16(string attr)
        {
            var v = SysfsParse.Hex16(files.ReadAttribute($"{dir}/{attr}"));
            if (v is null) warnings.Add($"{name}: could not read '{attr}' (missing, truncated or not hex).");
            return v;
        }
        vendor ??= Id16("vendor");
        device ??= Id16("device");
        subVendor ??= Id16("subsystem_vendor");
        subDevice ??= Id16("subsystem_device");

        uint? classValue = uevent?.Class ?? SysfsParse.Hex(files.ReadAttribute($"{dir}/class"));
        PciClass? cls = classValue is { } c && c <= 0xffffff ? new PciClass(c) : null;
        if (cls is null) warnings.Add($"{name}: could not read 'class'.");

        // uevent lists DRIVER only when bound; when uevent is unreadable or lacks the PCI keys, ask the link.
        string? driver = uevent is { Vendor: not null } ? uevent.Driver : files.ReadLinkName($"{dir}/driver");
        string? modalias = uevent?.Modalias ?? files.ReadAttribute($"{dir}/modalias");

        var overrideText = files.ReadAttribute($"{dir}/driver_override");
        string? driverOverride = overrideText is null or "(null)" or "" ? null : overrideText;

        int? group = null;
        var groupName = files.ReadLinkName($"{dir}/iommu_group");
        if (groupName is not null)
        {
            if (int.TryParse(groupName, out var g)) group = g;
            else warnings.Add($"{name}: iommu_group link points to '{groupName}', not a group number.");
        }

        // Header type only matters for bridges (viability before 5.19); endpoints are normal.
        byte? headerType = 0;
        if (cls is null || cls.Value.BaseClass == 0x06)
        {
            var cfg = files.ReadBytes($"{dir}/config", 64);
            headerType = cfg is { Length: >= 0x0f } ? cfg[0x0e] : null;
        }

        bool bootVga = cls is { IsDisplay: true } && files.ReadAttribute($"{dir}/boot_vga") == "1";

        var resetText = details ? files.ReadAttribute($"{dir}/reset_method") : null;
        ImmutableArray<string> resets = string.IsNullOrEmpty(resetText)
            ? []
            : [.. resetText.Split(' ', StringSplitOptions.RemoveEmptyEntries)];

        PciAddress? physfn = null;
        var physfnName = files.ReadLinkName($"{dir}/physfn");
        if (physfnName is not null)
        {
            if (PciAddress.TryParse(physfnName, out var pf)) physfn = pf;
            else warnings.Add($"{name}: physfn link points to '{physfnName}', not a PCI address.");
        }
        // A VF cannot itself be a PF: skip the SR-IOV files on VFs.
        SriovInfo? sriov = physfnName is null ? ReadSriov(files, dir, name, warnings) : null;

        var bars = details ? BarReader.Read(files, dir) : [];
        VirtioFunction? virtio = null;
        if (driver == "virtio-pci" && files.List(dir).FirstOrDefault(VirtioFunction.IsDeviceName) is { } vname)
            virtio = new VirtioFunction(vname, files.ReadLinkName($"{dir}/{vname}/driver"), files.ReadAttribute($"{dir}/{vname}/features"));

        // A VFIO driver registers vfio-dev/vfioN: read wherever a driver is bound (one readdir).
        var vfioDevice = driver is not null ? files.List($"{dir}/vfio-dev").FirstOrDefault(n => n.StartsWith("vfio", StringComparison.Ordinal)) : null;

        // Every id unreadable and the directory gone now: it went away while being read.
        if (vendor is null && device is null && !files.DirectoryExists(dir))
            return Gone(address, name);

        return new PciDevice
        {
            Address = address,
            VendorId = vendor,
            DeviceId = device,
            SubsystemVendorId = subVendor,
            SubsystemDeviceId = subDevice,
            Class = cls,
            Revision = details ? SysfsParse.Hex8(files.ReadAttribute($"{dir}/revision")) : null,
            Modalias = modalias,
            Driver = driver,
            DriverOverride = driverOverride,
            IommuGroup = group,
            NumaNode = details ? SysfsParse.Int(files.ReadAttribute($"{dir}/numa_node")) : null,
            BootVga = bootVga,
            HeaderType = headerType,
            ResetMethods = resets,
            Bars = bars,
            VfioDevice = vfioDevice,
            Virtio = virtio,
            Sriov = sriov,
            PhysFn = physfn,
            Parent = SysfsParse.ParentFromDevicePath(devicePath, address),
            Warnings = [.. warnings],
        };
    }

    private static PciDevice Gone(PciAddress address, string name) => new()
    {
        Address = address,
        Warnings = [$"{name} disappeared while it was being read (hot-unplugged or its VFs removed)."],
    };

    private static SriovInfo? ReadSriov(HostFiles files, string dir, string name, List<string> warnings)
    {
        var total = files.ReadAttribute($"{dir}/sriov_totalvfs");
        if (total is null) return null;
        var vfs = new List<(int Index, PciAddress Address)>();
        foreach (var entry in files.List(dir))
        {
            if (!entry.StartsWith("virtfn", StringComparison.Ordinal)) continue;
            if (!int.TryParse(entry.AsSpan(6), out var index)) continue;
            var target = files.ReadLinkName($"{dir}/{entry}");
            if (target is not null && PciAddress.TryParse(target, out var vf)) vfs.Add((index, vf));
            else warnings.Add($"{name}: {entry} does not point to a PCI device.");
        }
        vfs.Sort((a, b) => a.Index.CompareTo(b.Index));
        var autoprobe = files.ReadAttribute($"{dir}/sriov_drivers_autoprobe");
        return new SriovInfo
        {
            TotalVfs = SysfsParse.Int(total),
            NumVfs = SysfsParse.Int(files.ReadAttribute($"{dir}/sriov_numvfs")),
            Offset = SysfsParse.Int(files.ReadAttribute($"{dir}/sriov_offset")),
            Stride = SysfsParse.Int(files.ReadAttribute($"{dir}/sriov_stride")),
            VfDeviceId = SysfsParse.Hex16(files.ReadAttribute($"{dir}/sriov_vf_device")),
            DriversAutoprobe = autoprobe switch { "1" => true, "0" => false, _ => null },
            VirtualFunctions = [.. vfs.Select(v => v.Address)],
        };
    }
}
