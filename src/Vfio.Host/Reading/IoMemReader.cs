using System.Collections.Immutable;
using System.Globalization;
using Vfio.Host.Model;
using Vfio.Host.Sysfs;

namespace Vfio.Host.Reading;

/// <summary>
/// Reads <c>/proc/iomem</c> into a tree (kernel-facts section 10): one entry a line,
/// <c>START-END : NAME</c> in hex, indented two spaces per level of nesting. Never throws: a
/// missing or empty file gives a map with its <see cref="IoMemMap.Problem"/>, a line that is not an
/// entry (a truncated read) is left out and said so.
/// </summary>
public static class IoMemReader
{
    public const string Path = "/proc/iomem";

    public static IoMemMap Read(HostFiles files)
    {
        var text = files.ReadAllText(Path);
        if (text is null)
            return IoMemMap.Unavailable($"{Path} could not be read{(files.IsLive ? "" : " (not in this snapshot: it was taken before vfioctl captured it)")}: BARs reserved by the firmware framebuffer are not checked.");
        return Parse(text);
    }

    public static IoMemMap Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return IoMemMap.Unavailable($"{Path} is empty: BARs reserved by the firmware framebuffer are not checked.");

        var roots = new List<Node>();
        var open = new List<Node>(); // open[d] = the last entry seen at depth d
        var skipped = new List<int>();
        bool allZero = true;
        var lines = text.Split('\n');
        int count = lines.Length;
        bool cutShort = !text.EndsWith('\n');
        if (!cutShort) count--; // the empty string after the last newline
        for (int i = 0; i < count; i++)
        {
            var line = lines[i];
            if (line.Length == 0) continue;
            if (!TryParseLine(line, out int depth, out ulong start, out ulong end, out string name))
            {
                skipped.Add(i + 1);
                continue;
            }
            if (start != 0 || end != 0) allZero = false;
            // Deeper than one level below the last entry: the line before it is missing; hang it on the deepest one open.
            if (depth > open.Count) depth = open.Count;
            var node = new Node(start, end, name);
            if (depth == 0) roots.Add(node);
            else open[depth - 1].Children.Add(node);
            if (open.Count > depth) open.RemoveRange(depth, open.Count - depth);
            open.Add(node);
        }

        // The kernel ends every line with a newline: without one the read stopped inside the last line.
        bool lastSkipped = cutShort && skipped.Count > 0 && skipped[^1] == count;
        if (lastSkipped) skipped.RemoveAt(skipped.Count - 1);
        var problems = new List<string>();
        if (skipped.Count > 0)
            problems.Add($"{skipped.Count} line(s) are not 'START-END : NAME' entries and were ignored (line {string.Join(", ", skipped.Take(5))}{(skipped.Count > 5 ? ", ..." : "")})");
        if (cutShort)
            problems.Add($"the last line is cut short (a truncated read?) and was {(lastSkipped ? "ignored" : "kept as read")}");
        string? problem = problems.Count > 0 ? $"{Path}: {string.Join("; ", problems)}." : null;
        if (roots.Count == 0)
            return IoMemMap.Unavailable(problem ?? $"{Path} has no entries: BARs reserved by the firmware framebuffer are not checked.");
        return new IoMemMap { Roots = [.. roots.Select(n => n.Build())], AddressesHidden = allZero, Problem = problem };
    }

    private static bool TryParseLine(string line, out int depth, out ulong start, out ulong end, out string name)
    {
        start = end = 0;
        name = "";
        int spaces = 0;
        while (spaces < line.Length && line[spaces] == ' ') spaces++;
        depth = spaces / 2;
        var rest = line.AsSpan(spaces);
        int sep = rest.IndexOf(" : ", StringComparison.Ordinal);
        if (sep < 0) return false;
        var range = rest[..sep];
        int dash = range.IndexOf('-');
        if (dash <= 0) return false;
        if (!ulong.TryParse(range[..dash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out start)
            || !ulong.TryParse(range[(dash + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out end))
            return false;
        if (end < start) return false;
        name = rest[(sep + 3)..].TrimEnd('\r').ToString();
        return name.Length > 0;
    }

    private sealed class Node(ulong start, ulong end, string name)
    {
        public List<Node> Children { get; } = [];

        public IoMemEntry Build() => new()
        {
            Start = start,
            End = end,
            Name = name,
            Children = [.. Children.Select(c => c.Build())],
        };
    }
}
