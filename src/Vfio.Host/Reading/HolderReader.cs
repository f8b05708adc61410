using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Host.Sysfs;

namespace Vfio.Host.Reading;

/// <summary>
/// Finds what of the host lives on each PCI device: block devices (mounted, swap, held by dm/md),
/// network interfaces (up, addressed, routed) and DRM cards. Class devices are found from
/// <c>/sys/class/{block,net,drm}</c>: each link's target path names the PCI device it sits on.
/// </summary>
internal static class HolderReader
{
    public static PciDevice[] Attach(HostFiles files, PciDevice[] devices, List<string> warnings, IReadOnlySet<PciAddress>? scope = null)
    {
        bool InScope(PciAddress a) => scope is null || scope.Contains(a);
        var byDevice = new Dictionary<PciAddress, List<DeviceHolder>>();
        void Add(PciAddress a, DeviceHolder h)
        {
            if (!byDevice.TryGetValue(a, out var list)) byDevice[a] = list = [];
            list.Add(h);
        }

        foreach (var (owner, holder) in ReadBlock(files, warnings, InScope)) Add(owner, holder);
        foreach (var (owner, holder) in ReadNet(files, InScope)) Add(owner, holder);
        foreach (var (owner, holder) in ReadGpus(files, InScope)) Add(owner, holder);

        if (byDevice.Count == 0) return devices;
        var result = new PciDevice[devices.Length];
        for (int i = 0; i < devices.Length; i++)
        {
            var d = devices[i];
            result[i] = byDevice.TryGetValue(d.Address, out var hs)
                ? d with { Holders = [.. hs.OrderBy(h => h.Name, StringComparer.Ordinal)] }
                : d;
        }
        return result;
    }

    private static bool IsCardName(string name) => IsNumbered(name, "card");

    private static bool IsNumbered(string name, string prefix) =>
        name.StartsWith(prefix, StringComparison.Ordinal) && name.Length > prefix.Length && name.AsSpan(prefix.Length).IndexOfAnyExceptInRange('0', '9') < 0;

    // ---- GPUs: DRM cards, vendor nodes, the processes holding them, the console ----

    /// <summary>
    /// DRM cards (with their render nodes) and NVIDIA device nodes of the devices in scope, each
    /// with the processes that hold its nodes open; /proc is scanned only when there is one
    /// (kernel-facts section 9).
    /// </summary>
    private static List<(PciAddress, DeviceHolder)> ReadGpus(HostFiles files, Func<PciAddress, bool> inScope)
    {
        var cards = new Dictionary<PciAddress, (string Card, List<string> Nodes)>();
        var drmNames = files.List("/sys/class/drm").Order(StringComparer.Ordinal).ToList();
        foreach (var name in drmNames)
        {
            if (!IsCardName(name)) continue;
            if (SysfsParse.OwningDevice(files.ReadLink($"/sys/class/drm/{name}")) is { } owner && inScope(owner) && !cards.ContainsKey(owner))
                cards[owner] = (name, [name]);
        }
        foreach (var name in drmNames)
        {
            if (!IsNumbered(name, "renderD")) continue;
            if (SysfsParse.OwningDevice(files.ReadLink($"/sys/class/drm/{name}")) is { } owner && cards.TryGetValue(owner, out var c))
                c.Nodes.Add(name);
        }

        // NVIDIA's driver names its per-GPU node in procfs: "Device Minor: N" is /dev/nvidiaN.
        var nvidia = new Dictionary<PciAddress, string>();
        foreach (var entry in files.List("/proc/driver/nvidia/gpus"))
        {
            if (!PciAddress.TryParse(entry, out var a) || !inScope(a)) continue;
            var info = files.ReadAllText($"/proc/driver/nvidia/gpus/{entry}/information");
            var minor = info?.Split('\n').Select(l => l.Split(':', 2)).FirstOrDefault(kv => kv.Length == 2 && kv[0].Trim() == "Device Minor")?[1].Trim();
            if (minor is not null && int.TryParse(minor, out _)) nvidia[a] = "nvidia" + minor;
        }

        var result = new List<(PciAddress, DeviceHolder)>();
        if (cards.Count == 0 && nvidia.Count == 0) return result;

        var nodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in cards.Values) foreach (var n in c.Nodes) nodes.Add("/dev/dri/" + n);
        foreach (var n in nvidia.Values) nodes.Add("/dev/" + n);
        var holders = ProcessScanner.HoldersOf(files, nodes);
        ImmutableArray<ProcessRef> HeldBy(IEnumerable<string> paths)
        {
            var all = new List<ProcessRef>();
            foreach (var path in paths)
                if (holders.TryGetValue(path, out var ps))
                    foreach (var p in ps) if (!all.Any(x => x.Pid == p.Pid)) all.Add(p);
            return [.. all.OrderBy(p => p.Pid)];
        }

        var consoleOwner = FramebufferConsoleDevice(files);
        foreach (var (owner, c) in cards)
        {
            result.Add((owner, new DrmHolder
            {
                Name = c.Card,
                Nodes = [.. c.Nodes],
                Processes = HeldBy(c.Nodes.Select(n => "/dev/dri/" + n)),
                Console = consoleOwner == owner ? "the framebuffer console (fbcon) is on its framebuffer fb0" : null,
            }));
        }
        foreach (var (owner, node) in nvidia)
            result.Add((owner, new GpuNodeHolder { Name = node, Processes = HeldBy(["/dev/" + node]) }));
        return result;
    }

    /// <summary>
    /// The PCI device under fb0 while the framebuffer console is bound (a vtconsole named
    /// "frame buffer device" with <c>bind</c> 1): fbcon draws the consoles on fb0 unless mapped
    /// elsewhere. Null when fbcon is not bound or fb0 is not on a PCI device (efifb, simplefb).
    /// </summary>
    private static PciAddress? FramebufferConsoleDevice(HostFiles files)
    {
        bool bound = files.List("/sys/class/vtconsole").Any(v =>
            files.ReadAttribute($"/sys/class/vtconsole/{v}/bind") == "1"
            && (files.ReadAttribute($"/sys/class/vtconsole/{v}/name")?.Contains("frame buffer", StringComparison.Ordinal) ?? false));
        return bound ? SysfsParse.OwningDevice(files.ReadLink("/sys/class/graphics/fb0")) : null;
    }

    // ---- block ----

    private static IEnumerable<(PciAddress, DeviceHolder)> ReadBlock(HostFiles files, List<string> warnings, Func<PciAddress, bool> inScope)
    {
        var names = files.List("/sys/class/block");
        if (names.Count == 0) yield break;

        // Disks and partitions, grouped by the disk they belong to.
        var disks = new Dictionary<string, (PciAddress Owner, string Path)>(StringComparer.Ordinal);
        var partitionsOf = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var link = files.ReadLink($"/sys/class/block/{name}");
            if (SysfsParse.OwningDevice(link) is not { } owner || !inScope(owner)) continue;
            if (files.Exists($"/sys/class/block/{name}/partition"))
            {
                // .../block/sda/sda1: the parent directory is the disk.
                var parts = link!.Split('/');
                var disk = parts.Length >= 2 ? parts[^2] : name;
                if (!partitionsOf.TryGetValue(disk, out var l)) partitionsOf[disk] = l = [];
                l.Add(name);
            }
            else disks[name] = (owner, link!);
        }
        if (disks.Count == 0) yield break;
        var mounts = MountTable.Read(files);
        var swaps = ReadSwaps(files);

        foreach (var (disk, (owner, _)) in disks.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            var mountPoints = new List<string>();
            var heldBy = new List<string>();
            var partitionNotes = new List<string>();
            bool swap = false;

            void Collect(string dev, bool isPartition)
            {
                var majMin = files.ReadAttribute($"/sys/class/block/{dev}/dev");
                var mp = majMin is null ? [] : mounts.MountPointsOf(majMin);
                var holders = files.List($"/sys/class/block/{dev}/holders");
                var holderMounts = holders.SelectMany(h => files.ReadAttribute($"/sys/class/block/{h}/dev") is { } hm
                    ? mounts.MountPointsOf(hm).Select(m => $"{m} via {h}") : []).ToList();
                bool isSwap = swaps.Contains(dev) || holders.Any(swaps.Contains);
                mountPoints.AddRange(mp);
                mountPoints.AddRange(holderMounts);
                heldBy.AddRange(holders);
                swap |= isSwap;
                if (isPartition && (mp.Count > 0 || holders.Count > 0 || isSwap))
                    partitionNotes.Add(dev);
            }

            Collect(disk, false);
            foreach (var p in partitionsOf.GetValueOrDefault(disk) ?? []) Collect(p, true);

            yield return (owner, new BlockHolder
            {
                Name = disk,
                MountPoints = [.. mountPoints.Distinct()],
                Swap = swap,
                HeldBy = [.. heldBy.Distinct()],
                Partitions = [.. partitionNotes],
            });
        }
        _ = warnings;
    }

    private static HashSet<string> ReadSwaps(HostFiles files)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        var text = files.ReadAllText("/proc/swaps");
        if (text is null) return set;
        foreach (var line in text.Split('\n').Skip(1))
        {
            var f = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length > 0 && f[0].StartsWith("/dev/", StringComparison.Ordinal))
                set.Add(Path.GetFileName(f[0]));
        }
        return set;
    }

    // ---- net ----

    private static IEnumerable<(PciAddress, DeviceHolder)> ReadNet(HostFiles files, Func<PciAddress, bool> inScope)
    {
        var names = files.List("/sys/class/net");
        if (names.Count == 0) yield break;
        NetworkTables? net = null; // read only once a PCI device has an interface (lo and virtual ones do not)
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            if (SysfsParse.OwningDevice(files.ReadLink($"/sys/class/net/{name}")) is not { } owner || !inScope(owner)) continue;
            net ??= NetworkTables.Read(files);
            yield return (owner, new NetHolder
            {
                Name = name,
                OperState = files.ReadAttribute($"/sys/class/net/{name}/operstate"),
                Addresses = [.. net.AddressesOf(name)],
                Routes = net.RouteCount(name),
            });
        }
    }
}
