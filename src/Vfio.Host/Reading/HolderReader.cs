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
        foreach (var name in files.List("/sys/class/drm"))
        {
            if (!IsCardName(name)) continue;
            if (SysfsParse.OwningDevice(files.ReadLink($"/sys/class/drm/{name}")) is { } owner && InScope(owner))
                Add(owner, new DrmHolder { Name = name });
        }

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

    private static bool IsCardName(string name) =>
        name.StartsWith("card", StringComparison.Ordinal) && name.Length > 4 && name.AsSpan(4).IndexOfAnyExceptInRange('0', '9') < 0;

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
