using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Host.Sysfs;

namespace Vfio.Host.Reading;

/// <summary>Reads one device directory under <c>/sys/bus/pci/devices</c>.</summary>
internal static class PciDeviceReader
{
    public static PciDevice Read(HostFiles files, PciAddress address)
    {
        var name = address.ToString();
        var dir = $"{HostReader.PciDevicesDir}/{name}";
        var warnings = new List<string>();

        // The directory itself: a device can disappear between the listing and here (hot-unplug, VF removal).
        var devicePath = files.ReadLink(dir);
        if (!files.DirectoryExists(dir))
        {
            warnings.Add($"{name} disappeared while it was being read (hot-unplugged or its VFs removed).");
            return new PciDevice { Address = address, Warnings = [.. warnings] };
        }

        ushort? Id16(string attr)
        {
            var v = SysfsParse.Hex16(files.ReadAttribute($"{dir}/{attr}"));
            if (v is null) warnings.Add($"{name}: could not read '{attr}' (missing, truncated or not hex).");
            return v;
        }

        var vendor = Id16("vendor");
        var device = Id16("device");
        var subVendor = Id16("subsystem_vendor");
        var subDevice = Id16("subsystem_device");
        var classValue = SysfsParse.Hex(files.ReadAttribute($"{dir}/class"));
        PciClass? cls = classValue is { } c && c <= 0xffffff ? new PciClass(c) : null;
        if (cls is null) warnings.Add($"{name}: could not read 'class'.");
        var revision = SysfsParse.Hex8(files.ReadAttribute($"{dir}/revision"));

        var driver = files.ReadLinkName($"{dir}/driver");
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
        byte? headerType = null;
        if (cls is null || cls.Value.BaseClass == 0x06)
        {
            var cfg = files.ReadBytes($"{dir}/config", 64);
            if (cfg is { Length: >= 0x0f }) headerType = cfg[0x0e];
        }
        else headerType = 0;

        bool bootVga = cls is { IsDisplay: true } && files.ReadAttribute($"{dir}/boot_vga") == "1";

        var resetText = files.ReadAttribute($"{dir}/reset_method");
        ImmutableArray<string> resets = string.IsNullOrEmpty(resetText)
            ? []
            : [.. resetText.Split(' ', StringSplitOptions.RemoveEmptyEntries)];

        SriovInfo? sriov = ReadSriov(files, dir, name, warnings);

        PciAddress? physfn = null;
        var physfnName = files.ReadLinkName($"{dir}/physfn");
        if (physfnName is not null)
        {
            if (PciAddress.TryParse(physfnName, out var pf)) physfn = pf;
            else warnings.Add($"{name}: physfn link points to '{physfnName}', not a PCI address.");
        }

        // Every id unreadable and the directory gone now: it went away while being read.
        if (vendor is null && device is null && !files.DirectoryExists(dir))
        {
            warnings.Clear();
            warnings.Add($"{name} disappeared while it was being read (hot-unplugged or its VFs removed).");
        }

        return new PciDevice
        {
            Address = address,
            VendorId = vendor,
            DeviceId = device,
            SubsystemVendorId = subVendor,
            SubsystemDeviceId = subDevice,
            Class = cls,
            Revision = revision,
            Modalias = files.ReadAttribute($"{dir}/modalias"),
            Driver = driver,
            DriverOverride = driverOverride,
            IommuGroup = group,
            NumaNode = SysfsParse.Int(files.ReadAttribute($"{dir}/numa_node")),
            BootVga = bootVga,
            HeaderType = headerType,
            ResetMethods = resets,
            Sriov = sriov,
            PhysFn = physfn,
            Parent = SysfsParse.ParentFromDevicePath(devicePath, address),
            Warnings = [.. warnings],
        };
    }

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
