using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Host.Sysfs;

namespace Vfio.Host.Reading;

/// <summary>What to read besides the devices and groups themselves.</summary>
public sealed record HostReadOptions
{
    /// <summary>Look for block devices, network interfaces and DRM cards on each device.</summary>
    public bool Holders { get; init; } = true;

    /// <summary>
    /// With <see cref="Holders"/>: look only on these devices and the other members of their IOMMU
    /// groups (everything a plan for them can move), so a bind does not read the mount, swap and
    /// route tables for disks and interfaces elsewhere. Null: every device.
    /// </summary>
    public IReadOnlyCollection<PciAddress>? HoldersOnlyFor { get; init; }

    /// <summary>
    /// Read each group's directory (type, reserved regions, non-PCI members). Without it, groups
    /// are formed from the devices' <c>iommu_group</c> links alone: enough for viability, and
    /// thousands of reads fewer on a large host.
    /// </summary>
    public bool GroupDetails { get; init; } = true;

    /// <summary>
    /// Read what only listings show: each device's revision, NUMA node, reset methods and upstream
    /// bridge, each group's type and reserved regions. The assignment commands decide without
    /// them, and skipping them halves the reads per device (each sysfs read is a kernel round
    /// trip, which under emulation is most of a bind's host read).
    /// </summary>
    public bool Details { get; init; } = true;

    /// <summary>
    /// Scan <c>/proc/*/fd</c> for processes holding <c>/dev/vfio/N</c> and VFIO device fds open
    /// (for plans, not for listings).
    /// </summary>
    public bool GroupUsers { get; init; }

    public static HostReadOptions Default { get; } = new();
}

/// <summary>
/// Reads <c>/sys/bus/pci/devices</c>, <c>/sys/kernel/iommu_groups</c> and the procfs tables the
/// model needs, through <see cref="HostFiles"/>. Never throws for sysfs oddities: what it cannot
/// read becomes a warning on the device or the host.
/// </summary>
public static class HostReader
{
    public const string PciDevicesDir = "/sys/bus/pci/devices";
    public const string IommuGroupsDir = "/sys/kernel/iommu_groups";

    public static HostState Read(HostFiles files, HostReadOptions? options = null)
    {
        options ??= HostReadOptions.Default;
        var hostWarnings = new List<string>();

        var release = files.ReadAttribute("/proc/sys/kernel/osrelease");
        KernelVersion? kernel = KernelVersion.TryParse(release, out var kv) ? kv : null;
        if (release is null) hostWarnings.Add("Could not read /proc/sys/kernel/osrelease: viability uses the 5.19+ rules.");

        var names = files.List(PciDevicesDir);
        if (names.Count == 0 && !files.DirectoryExists(PciDevicesDir))
            hostWarnings.Add($"{PciDevicesDir} does not exist under {files.Root}: is this a Linux sysfs (or a snapshot)?");

        var addresses = new List<PciAddress>(names.Count);
        foreach (var n in names)
        {
            if (PciAddress.TryParse(n, out var a) && n.Length >= 12) addresses.Add(a);
            else hostWarnings.Add($"Ignored an entry of {PciDevicesDir} that is not a PCI address: '{n}'.");
        }
        addresses.Sort(PciAddress.Order);

        var devices = new PciDevice[addresses.Count];
        // Each device is independent; two threads halve the wall time on large hosts.
        if (devices.Length >= 256)
            Parallel.For(0, devices.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(4, Environment.ProcessorCount) },
                i => devices[i] = PciDeviceReader.Read(files, addresses[i], options.Details));
        else
            for (int i = 0; i < devices.Length; i++) devices[i] = PciDeviceReader.Read(files, addresses[i], options.Details);

        var iomem = IoMemReader.Read(files);
        if (iomem is { Readable: true, Problem: { } iomemProblem }) hostWarnings.Add(iomemProblem);
        AttachBarConflicts(files, devices, iomem);

        if (options.Holders)
            devices = HolderReader.Attach(files, devices, hostWarnings, HolderScope(devices, options.HoldersOnlyFor));

        var groups = options.GroupDetails ? ReadGroups(files, hostWarnings, options.Details) : GroupsFromDevices(files, devices);
        var users = options.GroupUsers ? ProcessScanner.Scan(files) : null;

        return new HostState
        {
            Root = files.Root,
            KernelRelease = release,
            Kernel = kernel,
            CommandLine = files.ReadAttribute("/proc/cmdline"),
            Machine = MachineReader.Read(files),
            IommuUnits = [.. files.List("/sys/class/iommu").Order(StringComparer.Ordinal)],
            NoIommuMode = files.ReadAttribute("/sys/module/vfio/parameters/enable_unsafe_noiommu_mode") is "Y" or "1",
            Iommufd = files.Exists("/dev/iommu"),
            VfioCdevs = [.. files.List("/dev/vfio/devices").Order(StringComparer.Ordinal)],
            Devices = ImmutableArray.Create(devices),
            Groups = groups,
            PciDrivers = [.. files.List("/sys/bus/pci/drivers")],
            Modules = [.. files.List("/sys/module")],
            GroupUsers = users?.GroupUsers ?? ImmutableDictionary<int, ImmutableArray<ProcessRef>>.Empty,
            VfioDeviceFds = users?.DeviceFds ?? [],
            IoMem = iomem,
            Warnings = [.. hostWarnings],
        };
    }

    /// <summary>
    /// Sets <see cref="PciDevice.BarConflicts"/> on the devices whose <c>/proc/iomem</c> entries hold
    /// or overlap a firmware framebuffer (kernel-facts section 10); BARs are read for those alone
    /// when the read was without details.
    /// </summary>
    private static void AttachBarConflicts(HostFiles files, PciDevice[] devices, IoMemMap iomem)
    {
        if (!iomem.Readable) return;
        var candidates = BarConflictFinder.Candidates(iomem);
        if (candidates.Count == 0) return;
        for (int i = 0; i < devices.Length; i++)
        {
            var d = devices[i];
            if (!candidates.Contains(d.Address.ToString())) continue;
            var bars = d.Bars.IsEmpty ? BarReader.Read(files, d.Address) : d.Bars;
            var conflicts = BarConflictFinder.Find(d, bars, iomem);
            if (!conflicts.IsEmpty) devices[i] = d with { BarConflicts = conflicts };
        }
    }

    /// <summary>The devices named and every member of their groups; null for all devices.</summary>
    private static HashSet<PciAddress>? HolderScope(PciDevice[] devices, IReadOnlyCollection<PciAddress>? named)
    {
        if (named is null) return null;
        var scope = new HashSet<PciAddress>(named);
        var groups = new HashSet<int>();
        foreach (var d in devices)
            if (scope.Contains(d.Address) && d.IommuGroup is { } g) groups.Add(g);
        foreach (var d in devices)
            if (d.IommuGroup is { } g && groups.Contains(g)) scope.Add(d.Address);
        return scope;
    }

    private static ImmutableArray<IommuGroup> GroupsFromDevices(HostFiles files, PciDevice[] devices)
    {
        var vfioNodes = files.List("/dev/vfio").ToHashSet(StringComparer.Ordinal);
        // Plain loops and list sorts: LINQ's ordering over value-type keys is compiled at run time.
        var byGroup = new Dictionary<int, List<PciAddress>>();
        foreach (var d in devices)
        {
            if (d.IommuGroup is not { } id) continue;
            if (!byGroup.TryGetValue(id, out var members)) byGroup[id] = members = [];
            members.Add(d.Address);
        }
        var ids = new List<int>(byGroup.Keys);
        ids.Sort(static (a, b) => a.CompareTo(b));
        var groups = new IommuGroup[ids.Count];
        for (int i = 0; i < groups.Length; i++)
        {
            var members = byGroup[ids[i]];
            members.Sort(PciAddress.Order);
            groups[i] = new IommuGroup
            {
                Id = ids[i],
                Devices = [.. members],
                VfioNode = VfioNode(vfioNodes, ids[i].ToString(System.Globalization.CultureInfo.InvariantCulture)),
            };
        }
        return ImmutableArray.Create(groups);
    }

    private static string? VfioNode(HashSet<string> nodes, string name) =>
        nodes.Contains(name) ? $"/dev/vfio/{name}" : nodes.Contains("noiommu-" + name) ? $"/dev/vfio/noiommu-{name}" : null;

    private static ImmutableArray<IommuGroup> ReadGroups(HostFiles files, List<string> warnings, bool details)
    {
        var vfioNodes = files.List("/dev/vfio").ToHashSet(StringComparer.Ordinal);
        var result = new List<IommuGroup>();
        foreach (var name in files.List(IommuGroupsDir))
        {
            if (!int.TryParse(name, out var id))
            {
                warnings.Add($"Ignored {IommuGroupsDir}/{name}: not a group number.");
                continue;
            }
            var dir = $"{IommuGroupsDir}/{name}";
            var pci = new List<PciAddress>();
            var other = new List<string>();
            foreach (var member in files.List(dir + "/devices"))
            {
                if (member.Length >= 12 && PciAddress.TryParse(member, out var a)) pci.Add(a);
                else other.Add(member);
            }
            pci.Sort(PciAddress.Order);
            string? node = VfioNode(vfioNodes, name);
            result.Add(new IommuGroup
            {
                Id = id,
                Type = details ? files.ReadAttribute(dir + "/type") : null,
                Devices = [.. pci],
                OtherMembers = [.. other.Order(StringComparer.Ordinal)],
                ReservedRegions = details ? ParseReservedRegions(files.ReadAttribute(dir + "/reserved_regions")) : [],
                VfioNode = node,
            });
        }
        result.Sort((a, b) => a.Id.CompareTo(b.Id));
        return [.. result];
    }

    internal static ImmutableArray<ReservedRegion> ParseReservedRegions(string? text)
    {
        if (string.IsNullOrEmpty(text)) return [];
        var list = new List<ReservedRegion>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 3) continue;
            if (SysfsParseULong(f[0]) is { } s && SysfsParseULong(f[1]) is { } e) list.Add(new ReservedRegion(s, e, f[2]));
        }
        return [.. list];
    }

    private static ulong? SysfsParseULong(string s)
    {
        var span = s.AsSpan();
        if (span.StartsWith("0x")) span = span[2..];
        return ulong.TryParse(span, System.Globalization.NumberStyles.AllowHexSpecifier, null, out var v) ? v : null;
    }
}
