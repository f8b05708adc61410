using System.Globalization;
using System.Text;
using Vfio.Execution.Kernel;

namespace Vfio.Tests.Simulation;

public sealed partial class SimulatedKernel
{
    private const string GroupsDir = "/sys/kernel/iommu_groups";

    /// <summary>Device files a new VF gets with the PF's value (pci_iov_add_virtfn copies the PF's ids and class; the rest is read from the VF's own config space, which QEMU fills alike).</summary>
    private static readonly string[] VfFilesFromPf =
    [
        "vendor", "class", "revision", "subsystem_vendor", "subsystem_device", "numa_node", "local_cpulist",
        "current_link_speed", "current_link_width", "max_link_speed", "max_link_width", "ari_enabled", "msi_bus", "d3cold_allowed",
    ];

    /// <summary>The SR-IOV files of a device directory, when it is a PF (it has <c>sriov_totalvfs</c>).</summary>
    private SimulatedSriov? ReadSriov(string directory)
    {
        if (Files.ReadAttribute($"{directory}/sriov_totalvfs") is not { } total) return null;
        int Int(string attribute) => int.TryParse(Files.ReadAttribute($"{directory}/{attribute}"), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
        return new SimulatedSriov
        {
            TotalVfs = int.Parse(total, NumberStyles.None, CultureInfo.InvariantCulture),
            Offset = Int("sriov_offset"),
            Stride = Int("sriov_stride"),
            VfDevice = ushort.Parse(Files.ReadAttribute($"{directory}/sriov_vf_device") ?? "0", NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            Autoprobe = Files.ReadAttribute($"{directory}/sriov_drivers_autoprobe") != "0",
        };
    }

    /// <summary>VFs present in the capture join their PF's list, in virtfn order.</summary>
    private void LinkVirtualFunctions()
    {
        foreach (var pf in _devices.Where(d => d.Sriov is not null).ToList())
        {
            for (int i = 0; Files.ReadLinkName($"{pf.Directory}/virtfn{i}") is { } name; i++)
            {
                var vf = _devices.First(d => d.Name == name);
                vf.PhysFn = pf;
                vf.VfIndex = i;
                pf.Sriov!.Vfs.Add(vf);
            }
            if (pf.Driver is { } d && IsVfioDriver(d)) pf.Sriov!.VfToken = Guid.NewGuid();
        }
    }

    /// <summary>
    /// drivers/pci/iov.c sriov_numvfs_store (seen on 6.1 and 6.12): kstrtou16 (base 0, one trailing
    /// newline) or EINVAL; above sriov_totalvfs ERANGE; then under the PF's device lock: the count it
    /// has already is a no-op; no driver, or a driver without sriov_configure, ENOENT; 0 removes every
    /// VF (waiting for userspace holders); a non-zero count over a non-zero count EBUSY.
    /// </summary>
    private Errno StoreNumVfs(SimulatedDevice pf, string value, out BlockedWrite? blocked)
    {
        blocked = null;
        if (!TryKstrtou16(CString(value), out var count)) return Errno.EINVAL;
        if (count > pf.Sriov!.TotalVfs) return Errno.ERANGE;
        if (pf.Locked)
        {
            // device_lock: waits behind a removal (or unbind) in progress. By then the VFs are gone,
            // so the waiting write cannot itself need to wait for a holder.
            blocked = new BlockedWrite(() => StoreNumVfsLocked(pf, count, out _));
            pf.WaitingForLock.Add(blocked);
            return 0;
        }
        return StoreNumVfsLocked(pf, count, out blocked);
    }

    private Errno StoreNumVfsLocked(SimulatedDevice pf, int count, out BlockedWrite? blocked)
    {
        blocked = null;
        var sriov = pf.Sriov!;
        if (count == sriov.Vfs.Count) return 0;
        if (pf.Driver is not { } driver || !HasSriovConfigure(driver)) return Errno.ENOENT;
        if (count == 0)
        {
            if (ContinueRemoval(pf)) return 0;
            blocked = new BlockedWrite(() => 0);
            sriov.PendingRemoval = blocked;
            return 0;
        }
        if (sriov.Vfs.Count != 0) return Errno.EBUSY;
        CreateVfs(pf, count);
        return 0;
    }

    /// <summary>
    /// Drivers with a <c>sriov_configure</c> callback the lab kernels have: nvme
    /// (pci_sriov_configure_simple) and vfio-pci while its <c>enable_sriov</c> parameter is set
    /// (vfio_pci_sriov_configure: ENOENT otherwise). Others are taken to have none (pci-stub has none).
    /// </summary>
    private bool HasSriovConfigure(string driver) =>
        LabKernelModuleFacts.DriversWithSriovConfigure.Contains(driver)
        || (IsVfioDriver(driver) && Files.ReadAttribute("/sys/module/vfio_pci/parameters/enable_sriov") == "Y");

    /// <summary>pci-sysfs.c sriov_drivers_autoprobe_store: kstrtobool, else EINVAL.</summary>
    private Errno StoreAutoprobe(SimulatedDevice pf, string value)
    {
        if (KstrToBool(CString(value)) is not { } on) return Errno.EINVAL;
        pf.Sriov!.Autoprobe = on;
        _tree.WriteText($"{pf.Directory}/sriov_drivers_autoprobe", on ? "1\n" : "0\n");
        return 0;
    }

    /// <summary>kernel/params.c param_set_bool: kstrtobool, read back as Y or N. Only parameters the lab has seen written.</summary>
    private Errno StoreModuleParameter(string module, string parameter, string value)
    {
        if (!(module == "vfio_pci" && parameter == "enable_sriov"))
            throw new NotSupportedException($"The simulated kernel does not model writes to /sys/module/{module}/parameters/{parameter}.");
        if (KstrToBool(CString(value)) is not { } on) return Errno.EINVAL;
        _tree.WriteText($"/sys/module/{module}/parameters/{parameter}", on ? "Y\n" : "N\n");
        return 0;
    }

    /// <summary>
    /// sriov_enable → pci_iov_add_virtfn for each VF (routing id = PF's + offset + i × stride, own
    /// IOMMU group, the lowest free group id), then pci_bus_add_device probes it when the PF allows
    /// autoprobe or the VF has an override; a vfio-pci PF gives each VF driver_override=vfio-pci
    /// first (vfio_pci_bus_notifier, "Captured SR-IOV VF ... driver_override"). QEMU's NVMe VFs
    /// fail nvme's probe (seen), so a VF has no native driver here.
    /// </summary>
    private void CreateVfs(SimulatedDevice pf, int count)
    {
        var created = new List<SimulatedDevice>();
        for (int i = 0; i < count; i++) created.Add(CreateVf(pf, i));
        _tree.WriteText($"{pf.Directory}/sriov_numvfs", count.ToString(CultureInfo.InvariantCulture) + "\n");
        foreach (var vf in created)
        {
            if (pf.Driver is { } pfDriver && IsVfioDriver(pfDriver))
            {
                vf.Override = pfDriver;
                _tree.WriteText($"{vf.Directory}/driver_override", pfDriver + "\n");
            }
            // pci_device_can_probe: a VF probes only with autoprobe on or an override.
            if (!pf.Sriov!.Autoprobe && vf.Override is null) continue;
            foreach (var driver in _drivers.ToList())
                if (Matches(driver, vf) && Probe(driver, vf) == 0) break;
        }
    }

    private SimulatedDevice CreateVf(SimulatedDevice pf, int index)
    {
        var sriov = pf.Sriov!;
        var pfAddress = PciAddress.Parse(pf.Name);
        int rid = (pfAddress.Bus << 8 | pfAddress.Device << 3 | pfAddress.Function) + sriov.Offset + index * sriov.Stride;
        var address = new PciAddress(pfAddress.Domain, (byte)(rid >> 8), (byte)((rid >> 3) & 0x1f), (byte)(rid & 7));
        var name = address.ToString();
        var dir = $"{pf.Directory[..pf.Directory.LastIndexOf('/')]}/{name}";
        _tree.EnsureDirectory(dir);
        foreach (var file in VfFilesFromPf)
            if (Files.ReadAllText($"{pf.Directory}/{file}") is { } text) _tree.WriteText($"{dir}/{file}", text);
        _tree.WriteText($"{dir}/device", $"0x{sriov.VfDevice:x4}\n");
        _tree.WriteText($"{dir}/driver_override", "(null)\n");
        _tree.WriteText($"{dir}/enable", "0\n");
        _tree.WriteText($"{dir}/irq", "0\n");
        _tree.WriteText($"{dir}/power_state", "D0\n");
        _tree.WriteText($"{dir}/reset_method", "flr\n");
        // A VF's own config space reads 0xffff for vendor and device (the kernel reports the PF's).
        if (Files.ReadBytes($"{pf.Directory}/config", 4096) is { Length: >= 4 } config)
        {
            config.AsSpan(0, 4).Fill(0xff);
            File.WriteAllBytes(_tree.Map($"{dir}/config"), config);
        }
        var modalias = Files.ReadAttribute($"{pf.Directory}/modalias") ?? "";
        if (modalias.Length >= 22) modalias = string.Concat(modalias.AsSpan(0, 14), $"{sriov.VfDevice:X8}", modalias.AsSpan(22));
        _tree.WriteText($"{dir}/modalias", modalias + "\n");
        var uevent = new StringBuilder();
        foreach (var line in (Files.ReadAllText($"{pf.Directory}/uevent") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("DRIVER=", StringComparison.Ordinal)) continue;
            uevent.Append(line switch
            {
                _ when line.StartsWith("PCI_ID=", StringComparison.Ordinal) => $"{line[..12]}{sriov.VfDevice:X4}",
                _ when line.StartsWith("PCI_SLOT_NAME=", StringComparison.Ordinal) => "PCI_SLOT_NAME=" + name,
                _ when line.StartsWith("MODALIAS=", StringComparison.Ordinal) => "MODALIAS=" + modalias,
                _ => line,
            }).Append('\n');
        }
        _tree.WriteText($"{dir}/uevent", uevent.ToString());

        int group = Enumerable.Range(0, int.MaxValue).First(g => !_tree.IsDirectory($"{GroupsDir}/{g}"));
        var pfGroupDir = $"{GroupsDir}/{pf.Group}";
        _tree.EnsureDirectory($"{GroupsDir}/{group}/devices");
        _tree.WriteText($"{GroupsDir}/{group}/type", Files.ReadAllText($"{pfGroupDir}/type") ?? "DMA\n");
        _tree.WriteText($"{GroupsDir}/{group}/reserved_regions", Files.ReadAllText($"{pfGroupDir}/reserved_regions") ?? "");
        _tree.LinkRelative($"{GroupsDir}/{group}/devices/{name}", dir);
        _tree.LinkRelative($"{dir}/iommu_group", $"{GroupsDir}/{group}");
        _tree.LinkRelative($"{dir}/physfn", pf.Directory);
        _tree.LinkRelative($"{dir}/subsystem", "/sys/bus/pci");
        _tree.LinkRelative($"{pf.Directory}/virtfn{index}", dir);
        _tree.LinkRelative($"{DevicesDir}/{name}", dir);

        var vf = new SimulatedDevice
        {
            Name = name, Directory = dir, Group = group, NormalHeader = true, NativeDriver = null,
            PhysFn = pf, VfIndex = index,
        };
        _devices.Add(vf);
        _byDirectory[dir] = vf;
        sriov.Vfs.Add(vf);
        return vf;
    }

    /// <summary>
    /// sriov_disable → sriov_del_vfs: removes the VFs in order; at a VF a userspace process holds
    /// open, vfio's remove waits (its driver links already gone, as in an unbind) and so does the
    /// removal. True when every VF is gone.
    /// </summary>
    private bool ContinueRemoval(SimulatedDevice pf)
    {
        var sriov = pf.Sriov!;
        foreach (var vf in sriov.Vfs.ToList())
        {
            if (_holds.Any(h => !h.Released && h.OpenDevices.Contains(vf)))
            {
                if (vf.Unbinding is null && vf.Driver is { } driver)
                {
                    RemoveDriverLinks(vf, driver);
                    vf.Unbinding = new BlockedWrite(() =>
                    {
                        FinishDetach(vf);
                        return 0;
                    });
                }
                return false;
            }
            RemoveVf(vf);
        }
        _tree.WriteText($"{pf.Directory}/sriov_numvfs", "0\n");
        return true;
    }

    /// <summary>pci_iov_remove_virtfn: the driver lets go, then the device, its links and its group go.</summary>
    private void RemoveVf(SimulatedDevice vf)
    {
        var pf = vf.PhysFn!;
        FinishDetach(vf);
        _tree.Remove($"{pf.Directory}/virtfn{vf.VfIndex}");
        _tree.Remove($"{DevicesDir}/{vf.Name}");
        _tree.RemoveDirectory(vf.Directory);
        _devices.Remove(vf);
        _byDirectory.Remove(vf.Directory);
        pf.Sriov!.Vfs.Remove(vf);
        if (vf.Group is { } g)
        {
            _tree.RemoveDirectory($"{GroupsDir}/{g}");
            _tree.Remove($"/dev/vfio/{g}");
        }
    }

    /// <summary>After a holder let go: removals of VFs waiting for it go on, and finish when no VF is held any more.</summary>
    private void ResumeRemovals()
    {
        foreach (var pf in _devices.Where(d => d.Sriov?.PendingRemoval is not null).ToList())
        {
            if (!ContinueRemoval(pf)) continue;
            var removal = pf.Sriov!.PendingRemoval!;
            pf.Sriov.PendingRemoval = null;
            removal.Complete();
            while (pf.WaitingForLock.Count > 0 && !pf.Locked)
            {
                var next = pf.WaitingForLock[0];
                pf.WaitingForLock.RemoveAt(0);
                next.Complete();
            }
        }
    }

    /// <summary>
    /// What a VFIO token applier does (open the PF through VFIO, then VFIO_DEVICE_FEATURE SET
    /// PCI_VF_TOKEN): ENOENT when the PF is not on a vfio driver (no group node), EBUSY when its
    /// group is held, EACCES when a VF is open and <paramref name="current"/> is not the PF's token.
    /// </summary>
    public void ApplyVfToken(PciAddress pf, VfToken token, VfToken? current)
    {
        lock (_gate)
        {
            var device = _devices.FirstOrDefault(d => d.Name == pf.ToString())
                ?? throw new KernelException($"opening {pf}", Errno.ENODEV);
            if (device.Driver is not { } driver || !IsVfioDriver(driver) || device.Group is not { } g)
                throw new KernelException($"opening {pf} through VFIO", Errno.ENOENT, "It is not bound to vfio-pci.");
            if (_holders.ContainsKey(g))
                throw new KernelException($"opening /dev/vfio/{g}", Errno.EBUSY, "Another process has the group open.");
            var sriov = device.Sriov ?? throw new KernelException("VFIO_DEVICE_FEATURE PCI_VF_TOKEN", Errno.ENOTTY, $"{pf} is not a PF.");
            if (sriov.VfTokenUsers > 0 && (current is null || current.Value.ToGuid() != sriov.VfToken))
                throw new KernelException($"VFIO_GROUP_GET_DEVICE_FD {pf}", Errno.EACCES, "A VF is open: the current VF token is needed to open the PF.");
            sriov.VfToken = token.ToGuid();
        }
    }

    /// <summary>
    /// vfio_pci_core_match: after the device name only spaces and one <c>vf_token=UUID</c> may
    /// follow (anything else, or a malformed UUID, is EINVAL); then vfio_pci_validate_vf_token.
    /// Returns the errno, 0 when the open may go ahead (and then records its effect).
    /// </summary>
    private Errno OpenWithOptions(SimulatedDevice device, string? options)
    {
        Guid? token = null;
        var rest = options ?? "";
        int i = 0;
        while (i < rest.Length)
        {
            if (rest[i] == ' ') { i++; continue; }
            const string key = "vf_token=";
            if (token is not null || string.CompareOrdinal(rest, i, key, 0, key.Length) != 0) return Errno.EINVAL;
            i += key.Length;
            if (rest.Length - i < VfToken.StringLength || !VfToken.TryParse(rest.Substring(i, VfToken.StringLength), out var t)) return Errno.EINVAL;
            token = t.ToGuid();
            i += VfToken.StringLength;
        }
        if (device.PhysFn is { } pf)
        {
            if (pf.Driver is not { } pfDriver || !IsVfioDriver(pfDriver)) return token is null ? 0 : Errno.EINVAL; // PF not on vfio-pci: no token, and none may be given
            if (token is null || token != pf.Sriov!.VfToken) return Errno.EACCES;
            pf.Sriov.VfTokenUsers++;
            return 0;
        }
        if (device.Sriov is not null && device.Driver is { } driver && IsVfioDriver(driver))
        {
            var sriov = device.Sriov!;
            if (sriov.VfTokenUsers > 0)
                return token is null || token != sriov.VfToken ? Errno.EACCES : 0;
            if (token is not null) sriov.VfToken = token;
            return 0;
        }
        return token is null ? 0 : Errno.EINVAL;
    }

    /// <summary>lib/kstrtox.c kstrtou16 with base 0: decimal, 0x hex or 0 octal, one trailing newline allowed, nothing else.</summary>
    private static bool TryKstrtou16(string s, out int value)
    {
        value = 0;
        if (s.EndsWith('\n')) s = s[..^1];
        if (s.Length == 0) return false;
        int radix = 10;
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && s.Length > 2) { radix = 16; s = s[2..]; }
        else if (s.Length > 1 && s[0] == '0') { radix = 8; s = s[1..]; }
        try
        {
            value = Convert.ToInt32(s, radix);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            return false;
        }
        return value is >= 0 and <= ushort.MaxValue && s.All(c => char.IsAsciiHexDigit(c));
    }

    /// <summary>lib/kstrtox.c kstrtobool: y/Y/t/T/1/on true; n/N/f/F/0/off false; else null (EINVAL).</summary>
    private static bool? KstrToBool(string s)
    {
        if (s.Length == 0) return null;
        switch (s[0])
        {
            case 'y' or 'Y' or 't' or 'T' or '1': return true;
            case 'n' or 'N' or 'f' or 'F' or '0': return false;
            case 'o' or 'O' when s.Length > 1:
                return s[1] switch { 'n' or 'N' => true, 'f' or 'F' => false, _ => null };
            default: return null;
        }
    }
}
