namespace Vfio.Host.Reading;

using Vfio.Host.Sysfs;

/// <summary>Mounted block devices by <c>major:minor</c>, from <c>/proc/self/mountinfo</c> (or <c>/proc/mounts</c> names).</summary>
internal sealed class MountTable
{
    private readonly Dictionary<string, List<string>> _byMajMin = new(StringComparer.Ordinal);

    public static MountTable Read(HostFiles files)
    {
        var table = new MountTable();
        var text = files.ReadAllText("/proc/self/mountinfo") ?? files.ReadAllText("/proc/1/mountinfo");
        if (text is null) return table;
        // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... - FSTYPE SOURCE SUPEROPTS
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ');
            if (f.Length < 5) continue;
            if (!table._byMajMin.TryGetValue(f[2], out var list)) table._byMajMin[f[2]] = list = [];
            var mp = Unescape(f[4]);
            if (!list.Contains(mp)) list.Add(mp);
        }
        return table;
    }

    public IReadOnlyList<string> MountPointsOf(string majMin) =>
        _byMajMin.TryGetValue(majMin.Trim(), out var l) ? l : [];

    // mountinfo escapes space, tab, newline and backslash as \ooo.
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new System.Text.StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 3 < s.Length && IsOct(s[i + 1]) && IsOct(s[i + 2]) && IsOct(s[i + 3]))
            {
                sb.Append((char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static bool IsOct(char c) => c is >= '0' and <= '7';
}
