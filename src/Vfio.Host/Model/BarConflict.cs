using System.Collections.Immutable;
using System.Globalization;

namespace Vfio.Host.Model;

/// <summary>
/// A BAR of a device that something other than the device and its driver keeps reserved in
/// <c>/proc/iomem</c>: the firmware framebuffer (BOOTFB, simpledrm, efifb, vesafb, vga16fb).
/// vfio-pci then cannot reserve that BAR and the VM using it fails (kernel-facts section 10).
/// </summary>
public sealed record BarConflict
{
    /// <summary>The BAR's index (0-5); null when <c>/proc/iomem</c> was read without root and shows no addresses.</summary>
    public int? BarIndex { get; init; }
    /// <summary>The BAR's range (inclusive end); null when not known.</summary>
    public ulong? Start { get; init; }
    public ulong? End { get; init; }
    /// <summary>The outermost foreign entry inside the BAR: <c>BOOTFB</c>, <c>efifb</c>...</summary>
    public required string Owner { get; init; }
    /// <summary>The reserved range itself, when addresses are known.</summary>
    public ulong? OwnerStart { get; init; }
    public ulong? OwnerEnd { get; init; }
    /// <summary>Entries nested inside the owner (drivers holding it: <c>simpledrm</c>).</summary>
    public ImmutableArray<string> ClaimedBy { get; init; } = [];
    /// <summary>What the owner is.</summary>
    public required string What { get; init; }
    /// <summary>How to free the BAR.</summary>
    public required string Fix { get; init; }

    /// <summary>"BAR 0" or "a BAR (addresses hidden: run as root to see which)".</summary>
    public string BarName => BarIndex is { } i ? $"BAR {i}" : "a BAR";

    /// <summary>"[mem 0xc0000000-0xcfffffff]", or "" when not known.</summary>
    public string RangeText => Start is { } s && End is { } e
        ? string.Create(CultureInfo.InvariantCulture, $"[mem 0x{s:x}-0x{e:x}]")
        : "";

    /// <summary>"BOOTFB (claimed by simpledrm)".</summary>
    public string OwnerText => ClaimedBy.IsEmpty ? Owner : $"{Owner} (claimed by {string.Join(", ", ClaimedBy)})";

    /// <summary>One sentence: which BAR, which range, who holds it and what that is.</summary>
    public string Describe()
    {
        string range = RangeText.Length > 0 ? " " + RangeText
            : OwnerStart is { } os && OwnerEnd is { } oe ? string.Create(CultureInfo.InvariantCulture, $" (the reservation: [mem 0x{os:x}-0x{oe:x}])") : "";
        return $"{BarName}{range} is reserved by {OwnerText}, {What}"
            + (AddressesHidden ? " (/proc/iomem shows no addresses without root: run as root to see which BAR)" : "");
    }

    /// <summary>Found from the nesting of <c>/proc/iomem</c> alone: it was read without root, so no address is known.</summary>
    public bool AddressesHidden => BarIndex is null && OwnerStart is null;
}
