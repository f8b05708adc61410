using System.Collections.Immutable;

namespace Vfio.Host.Model;

/// <summary>
/// One line of <c>/proc/iomem</c>: a physical address range and who registered it, with the
/// ranges registered inside it (kernel-facts section 10).
/// </summary>
public sealed record IoMemEntry
{
    public required ulong Start { get; init; }
    /// <summary>Inclusive, as the kernel prints it.</summary>
    public required ulong End { get; init; }
    /// <summary>The owner's name: a PCI address for a BAR, a driver name, <c>BOOTFB</c>, <c>System RAM</c>...</summary>
    public required string Name { get; init; }
    public ImmutableArray<IoMemEntry> Children { get; init; } = [];

    public bool Overlaps(ulong start, ulong end) => Start <= end && start <= End;
    public bool Contains(ulong start, ulong end) => Start <= start && end <= End;
}

/// <summary>
/// <c>/proc/iomem</c> as a tree. Read without root the kernel prints every address as zeros: the
/// nesting and the names are still right, the addresses are not known (<see cref="AddressesHidden"/>).
/// </summary>
public sealed record IoMemMap
{
    public ImmutableArray<IoMemEntry> Roots { get; init; } = [];
    /// <summary>Every address read as zero: the file was read without root (kernel-facts section 10).</summary>
    public bool AddressesHidden { get; init; }
    /// <summary>Why the map is missing or incomplete (unreadable, empty, lines that are not entries); null when it was read whole.</summary>
    public string? Problem { get; init; }
    /// <summary>False when nothing usable was read: no conflict can be found, and none is claimed absent.</summary>
    public bool Readable => Roots.Length > 0;

    public static IoMemMap Unavailable(string problem) => new() { Problem = problem };

    /// <summary>Every entry with the chain of entries around it (outermost first), depth first in file order.</summary>
    public IEnumerable<(IoMemEntry Entry, ImmutableArray<IoMemEntry> Ancestors)> Walk()
    {
        var stack = new Stack<(IoMemEntry, ImmutableArray<IoMemEntry>)>();
        for (int i = Roots.Length - 1; i >= 0; i--) stack.Push((Roots[i], []));
        while (stack.Count > 0)
        {
            var (e, up) = stack.Pop();
            yield return (e, up);
            var inner = up.Add(e);
            for (int i = e.Children.Length - 1; i >= 0; i--) stack.Push((e.Children[i], inner));
        }
    }
}
