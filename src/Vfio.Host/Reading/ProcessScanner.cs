using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Host.Sysfs;

namespace Vfio.Host.Reading;

/// <summary>
/// Finds processes holding device files open, from the <c>/proc/PID/fd</c> links: VFIO group nodes
/// (<c>/dev/vfio/N</c>) and device fds (<c>anon_inode:[vfio-device]</c>, <c>/dev/vfio/devices/vfioN</c>),
/// and the DRM and GPU vendor nodes of the devices that have them.
/// </summary>
internal static class ProcessScanner
{
    private const string AnonVfioDevice = "anon_inode:[vfio-device]";
    private const string CdevPrefix = "/dev/vfio/devices/";

    /// <summary>What one pass over <c>/proc</c> found.</summary>
    public sealed record Result(
        ImmutableDictionary<int, ImmutableArray<ProcessRef>> GroupUsers,
        ImmutableArray<VfioDeviceFd> DeviceFds);

    /// <summary>
    /// The open file behind each <c>/proc/PID/fd/N</c> link, with a way to name its process (its
    /// <c>comm</c>, read once and only when asked). A snapshot keeps these links relative to its
    /// root (<c>../../../dev/dri/card0</c>); they are read back as the absolute paths they were.
    /// </summary>
    internal static IEnumerable<(int Pid, string Fd, string Target, Func<ProcessRef> Process)> OpenFiles(HostFiles files)
    {
        foreach (var entry in files.List("/proc"))
        {
            if (!int.TryParse(entry, out var pid)) continue;
            var fdDir = $"/proc/{pid}/fd";
            string? comm = null;
            ProcessRef Process() => new(pid, comm ??= files.ReadAttribute($"/proc/{pid}/comm"));
            foreach (var fd in files.List(fdDir))
            {
                var target = files.ReadLink($"{fdDir}/{fd}");
                if (target is null) continue;
                if (target.StartsWith("../", StringComparison.Ordinal)) target = HostPath.Resolve(fdDir, target);
                yield return (pid, fd, target, Process);
            }
        }
    }

    /// <summary>True for the open files a snapshot keeps as holder evidence: VFIO, DRM and GPU vendor nodes, VFIO device fds.</summary>
    internal static bool IsEvidence(string target) =>
        target == AnonVfioDevice || target.StartsWith("/dev/vfio/", StringComparison.Ordinal)
        || target.StartsWith("/dev/dri/", StringComparison.Ordinal) || target.StartsWith("/dev/nvidia", StringComparison.Ordinal);

    /// <summary>The processes holding each of <paramref name="nodes"/> (absolute /dev paths) open, each process once per node.</summary>
    public static Dictionary<string, List<ProcessRef>> HoldersOf(HostFiles files, IReadOnlySet<string> nodes)
    {
        var result = new Dictionary<string, List<ProcessRef>>(StringComparer.Ordinal);
        if (nodes.Count == 0) return result;
        foreach (var (pid, _, target, process) in OpenFiles(files))
        {
            if (!nodes.Contains(target)) continue;
            if (!result.TryGetValue(target, out var list)) result[target] = list = [];
            if (!list.Any(p => p.Pid == pid)) list.Add(process());
        }
        return result;
    }

    public static Result Scan(HostFiles files)
    {
        var byGroup = new Dictionary<int, List<ProcessRef>>();
        var deviceFds = new List<VfioDeviceFd>();
        foreach (var (pid, fd, target, process) in OpenFiles(files))
        {
            if (target == AnonVfioDevice)
            {
                deviceFds.Add(new VfioDeviceFd(process(), DeviceOfFdInfo(files.ReadAllText($"/proc/{pid}/fdinfo/{fd}"))));
                continue;
            }
            if (!target.StartsWith("/dev/vfio/", StringComparison.Ordinal)) continue;
            if (target.StartsWith(CdevPrefix, StringComparison.Ordinal))
            {
                // iommufd cdev: /sys/class/vfio-dev/vfioN/device is the PCI device.
                var name = files.ReadLinkName($"/sys/class/vfio-dev/{target[CdevPrefix.Length..]}/device");
                deviceFds.Add(new VfioDeviceFd(process(), PciAddress.TryParse(name, out var a) ? a : null));
                continue;
            }
            var node = target["/dev/vfio/".Length..];
            if (node.StartsWith("noiommu-", StringComparison.Ordinal)) node = node["noiommu-".Length..];
            if (!int.TryParse(node, out var group)) continue; // the container node /dev/vfio/vfio
            if (!byGroup.TryGetValue(group, out var list)) byGroup[group] = list = [];
            if (!list.Any(p => p.Pid == pid)) list.Add(process());
        }
        // Built with a builder and loops: LINQ over these value-type pairs is compiled at run time.
        var users = ImmutableDictionary.CreateBuilder<int, ImmutableArray<ProcessRef>>();
        foreach (var (group, list) in byGroup) users[group] = [.. list];
        var distinct = new List<VfioDeviceFd>(deviceFds.Count);
        foreach (var d in deviceFds) if (!distinct.Contains(d)) distinct.Add(d);
        return new Result(users.ToImmutable(), [.. distinct]);
    }

    /// <summary>The device in a <c>vfio-device-syspath: /sys/devices/.../0000:e8:00.0</c> fdinfo line (6.17+), if any.</summary>
    internal static PciAddress? DeviceOfFdInfo(string? fdinfo)
    {
        if (fdinfo is null) return null;
        foreach (var line in fdinfo.Split('\n'))
        {
            const string key = "vfio-device-syspath:";
            if (line.StartsWith(key, StringComparison.Ordinal))
                return SysfsParse.OwningDevice(line[key.Length..].Trim());
        }
        return null;
    }
}
