using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Host.Sysfs;

namespace Vfio.Host.Reading;

/// <summary>Finds processes holding VFIO group nodes open, from the <c>/proc/PID/fd</c> links.</summary>
internal static class ProcessScanner
{
    public static ImmutableDictionary<int, ImmutableArray<ProcessRef>> VfioGroupUsers(HostFiles files)
    {
        var byGroup = new Dictionary<int, List<ProcessRef>>();
        foreach (var entry in files.List("/proc"))
        {
            if (!int.TryParse(entry, out var pid)) continue;
            var fdDir = $"/proc/{pid}/fd";
            string? comm = null;
            foreach (var fd in files.List(fdDir))
            {
                var target = files.ReadLink($"{fdDir}/{fd}");
                if (target is null || !target.StartsWith("/dev/vfio/", StringComparison.Ordinal)) continue;
                var name = target["/dev/vfio/".Length..];
                if (name.StartsWith("noiommu-", StringComparison.Ordinal)) name = name["noiommu-".Length..];
                if (!int.TryParse(name, out var group)) continue; // the container node /dev/vfio/vfio
                comm ??= files.ReadAttribute($"/proc/{pid}/comm");
                if (!byGroup.TryGetValue(group, out var list)) byGroup[group] = list = [];
                if (!list.Any(p => p.Pid == pid)) list.Add(new ProcessRef(pid, comm));
            }
        }
        return byGroup.ToImmutableDictionary(kv => kv.Key, kv => kv.Value.ToImmutableArray());
    }
}
