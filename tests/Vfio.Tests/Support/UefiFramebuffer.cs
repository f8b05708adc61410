using Vfio.Host.Snapshot;

namespace Vfio.Tests.Support;

/// <summary>
/// The lab's <c>in-use</c> guest booted through UEFI (OVMF) with bochs-drm kept off, captured by
/// <c>scripts/capture-fixtures lab-in-use-uefi-6.12</c>: efifb holds the boot VGA's BAR 0
/// (<c>c0000000-c0ffffff : 0000:00:01.0</c> with <c>c0000000-c03e7fff : efifb</c> inside, as root
/// read it; kernel-facts section 10). 0000:00:06.0 is a bochs-display, class 0x0380 (display, not
/// VGA), without a driver, BAR 0 at 0xc1000000.
/// </summary>
public static class UefiFramebuffer
{
    public const string Fixture = "lab-in-use-uefi-6.12";
    public const string Vga = "0000:00:01.0";
    public const string Display = "0000:00:06.0";

    private const string DisplayBar0 = "  c1000000-c1ffffff : 0000:00:06.0\n";

    /// <summary>The capture as it is.</summary>
    public static SnapshotArchive Open() => Fixtures.Open(Fixture);

    /// <summary>
    /// The capture with sysfb's BOOTFB and simpledrm inside the non-VGA display's BAR 0, the shape a
    /// 6.x kernel built with CONFIG_SYSFB_SIMPLEFB and simpledrm prints. Learned from a real host:
    /// siderolabs/talos issue 14356 (6.18, an AMD GPU: <c>2800000000-2fffffffff : 0000:c3:00.0</c>,
    /// inside it <c>2800000000-2801fa3fff : BOOTFB</c>, inside that <c>... : simpledrm</c>), moved
    /// onto the captured device's BAR 0 so the capture's <c>resource</c> file and this map agree.
    /// </summary>
    public static SnapshotArchive OpenWithBootFbOnDisplay() => OpenWith(iomem =>
    {
        Assert.Contains(DisplayBar0, iomem);
        return iomem.Replace(DisplayBar0, DisplayBar0 + "    c1000000-c12fffff : BOOTFB\n      c1000000-c12fffff : simpledrm\n", StringComparison.Ordinal);
    });

    /// <summary>The capture's /proc/iomem as a process without root reads it: every address zero.</summary>
    public static SnapshotArchive OpenUnprivileged() => OpenWith(Unprivileged);

    /// <summary>The capture with its /proc/iomem changed by <paramref name="change"/> (null: removed).</summary>
    public static SnapshotArchive OpenWith(Func<string, string?> change)
    {
        var tree = Open();
        var path = Path.Combine(tree.Directory, "proc", "iomem");
        var changed = change(File.ReadAllText(path));
        if (changed is null) File.Delete(path); else File.WriteAllText(path, changed);
        return tree;
    }

    /// <summary>The captured /proc/iomem text.</summary>
    public static string CapturedIoMem()
    {
        using var tree = Open();
        return File.ReadAllText(Path.Combine(tree.Directory, "proc", "iomem"));
    }

    public static string Unprivileged(string iomem) => string.Join('\n', iomem.Split('\n').Select(l =>
    {
        int colon = l.IndexOf(" : ", StringComparison.Ordinal);
        if (colon < 0) return l;
        int indent = l.Length - l.TrimStart(' ').Length;
        return new string(' ', indent) + "00000000-00000000" + l[colon..];
    }));
}
