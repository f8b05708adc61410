using System.Globalization;
using Vfio.Host.Sysfs;

namespace Vfio.Host.Reading;

/// <summary>When the host booted: <c>btime</c> of <c>/proc/stat</c> (seconds since the epoch, UTC).</summary>
public static class BootTime
{
    /// <summary>The boot time, or null when <c>/proc/stat</c> is absent (a captured tree) or has no btime.</summary>
    public static DateTime? Read(HostFiles files)
    {
        using var reader = files.OpenText("/proc/stat");
        if (reader is null) return null;
        while (reader.ReadLine() is { } line)
        {
            if (line.StartsWith("btime ", StringComparison.Ordinal)
                && long.TryParse(line.AsSpan(6).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
                return DateTime.UnixEpoch.AddSeconds(seconds);
        }
        return null;
    }
}
