using System.Collections.Immutable;
using Vfio.Host.Model;

namespace Vfio.Host.Reading;

/// <summary>
/// Finds the BARs of a device that the firmware framebuffer keeps reserved
/// (kernel-facts section 10): an entry of <c>/proc/iomem</c> named as one of <see cref="FirmwareFramebuffers.Known"/>
/// inside a BAR's range. Entries named with the device's own address (the BAR itself) or its
/// driver's name (the driver's claim) are the device's, never a conflict. Without root the file
/// has no addresses: then an owner nested inside one of the device's own entries is a conflict on
/// a BAR that cannot be named.
/// </summary>
public static class BarConflictFinder
{
    public static ImmutableArray<BarConflict> Find(PciDevice device, ImmutableArray<PciBar> bars, IoMemMap map)
    {
        if (!map.Readable) return [];
        string own = device.Address.ToString();
        var result = new List<BarConflict>();
        foreach (var (entry, ancestors) in map.Walk())
        {
            if (FirmwareFramebuffers.Find(entry.Name) is not { } owner || entry.Name == device.Driver) continue;
            // Only the outermost known owner: what nests inside it is named as its claimers.
            if (ancestors.Any(a => FirmwareFramebuffers.Find(a.Name) is not null)) continue;
            var claimers = Claimers(entry, own, device.Driver);
            bool nestedInOwn = ancestors.Any(a => a.Name == own);
            if (map.AddressesHidden)
            {
                if (nestedInOwn) result.Add(Conflict(owner, entry, claimers, null, hidden: true));
                continue;
            }
            bool matched = false;
            foreach (var bar in bars)
            {
                if (bar.Slot != BarSlot.Bar || bar.IsIo || bar.Unassigned || bar.Size == 0) continue;
                if (!entry.Overlaps(bar.Start, bar.Start + bar.Size - 1)) continue;
                result.Add(Conflict(owner, entry, claimers, bar, hidden: false));
                matched = true;
            }
            // BARs not read (or not assigned as sysfs says): the nesting still names the device.
            if (!matched && nestedInOwn && bars.IsEmpty)
                result.Add(Conflict(owner, entry, claimers, null, hidden: false));
        }
        return [.. result];
    }

    /// <summary>The PCI addresses whose own <c>/proc/iomem</c> entries hold or overlap a known owner: the only devices worth reading BARs for.</summary>
    public static HashSet<string> Candidates(IoMemMap map)
    {
        var owners = new List<IoMemEntry>();
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (entry, ancestors) in map.Walk())
        {
            if (FirmwareFramebuffers.Find(entry.Name) is null) continue;
            owners.Add(entry);
            foreach (var a in ancestors)
                if (LooksLikePciAddress(a.Name)) result.Add(a.Name);
        }
        if (owners.Count > 0 && !map.AddressesHidden)
            foreach (var (entry, _) in map.Walk())
                if (LooksLikePciAddress(entry.Name) && owners.Any(o => o.Overlaps(entry.Start, entry.End))) result.Add(entry.Name);
        return result;
    }

    private static bool LooksLikePciAddress(string name) => name.Length >= 12 && PciAddress.TryParse(name, out _);

    private static ImmutableArray<string> Claimers(IoMemEntry entry, string own, string? driver)
    {
        var names = new List<string>();
        var stack = new Stack<IoMemEntry>(entry.Children.Reverse());
        while (stack.Count > 0)
        {
            var e = stack.Pop();
            if (e.Name != own && e.Name != driver && !names.Contains(e.Name)) names.Add(e.Name);
            for (int i = e.Children.Length - 1; i >= 0; i--) stack.Push(e.Children[i]);
        }
        return [.. names];
    }

    private static BarConflict Conflict(FramebufferOwner owner, IoMemEntry entry, ImmutableArray<string> claimers, PciBar? bar, bool hidden)
    {
        var fix = owner.Fix;
        foreach (var c in claimers)
            if (FirmwareFramebuffers.Find(c) is { } known) fix += $". {known.Name}: {known.Fix}";
        return new BarConflict
        {
            BarIndex = bar?.Index,
            Start = bar?.Start,
            End = bar is null ? null : bar.Start + bar.Size - 1,
            Owner = owner.Name,
            OwnerStart = hidden ? null : entry.Start,
            OwnerEnd = hidden ? null : entry.End,
            ClaimedBy = claimers,
            What = owner.What,
            Fix = fix,
        };
    }
}
