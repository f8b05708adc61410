using Vfio.Host.Snapshot;

namespace Vfio.Tests.Support;

/// <summary>
/// A real capture with the <c>/proc/iomem</c> of a UEFI host added: the lab's <c>in-use</c> guest
/// (6.12, its boot VGA 0000:00:01.0 is QEMU's bochs VGA with BAR 0 at 0xfd000000, 16 MiB, and
/// BAR 2 at 0xfeb10000) as it would look had the firmware left its framebuffer in BAR 0.
/// </summary>
/// <remarks>
/// The shape is what a real UEFI host prints (kernel-facts section 10): the BAR as an entry named
/// with the function's address, sysfb's <c>BOOTFB</c> inside it, simpledrm's claim inside that.
/// Learned from siderolabs/talos issue 14356 (a 6.18 kernel on an AMD GPU at 0000:c3:00.0:
/// <c>2800000000-2fffffffff : 0000:c3:00.0</c> / <c>2800000000-2801fa3fff : BOOTFB</c> /
/// <c>2800000000-2801fa3fff : simpledrm</c>); the surrounding entries are a q35 guest's. The
/// addresses are moved onto the captured device's BAR 0 so the captured <c>resource</c> file and
/// this map agree. The snapshot format has no /proc/iomem in the older captures, so it is added
/// to the unpacked tree, not to the archive.
/// </remarks>
public static class UefiFramebuffer
{
    public const string Vga = "0000:00:01.0";

    public const string IoMem =
        "00000000-00000fff : Reserved\n" +
        "00001000-0009ffff : System RAM\n" +
        "000a0000-000bffff : PCI Bus 0000:00\n" +
        "000f0000-000fffff : Reserved\n" +
        "  000f0000-000fffff : System ROM\n" +
        "00100000-7ffdffff : System RAM\n" +
        "  01000000-01ffffff : Kernel code\n" +
        "  02000000-0275ffff : Kernel rodata\n" +
        "7ffe0000-7fffffff : Reserved\n" +
        "80000000-afffffff : PCI Bus 0000:00\n" +
        "b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]\n" +
        "  b0000000-bfffffff : Reserved\n" +
        "c0000000-febfffff : PCI Bus 0000:00\n" +
        "  fd000000-fdffffff : 0000:00:01.0\n" +
        "    fd000000-fd2fffff : BOOTFB\n" +
        "      fd000000-fd2fffff : simpledrm\n" +
        "  feb10000-feb10fff : 0000:00:01.0\n" +
        "    feb10000-feb10fff : bochs-drm\n" +
        "fec00000-fec003ff : IOAPIC 0\n" +
        "fed00000-fed003ff : HPET 0\n" +
        "fee00000-fee00fff : Local APIC\n" +
        "fffc0000-ffffffff : Reserved\n";

    /// <summary>The same map as a process without root reads it: every address zero.</summary>
    public static string Unprivileged => string.Join('\n', IoMem.Split('\n').Select(l =>
    {
        int colon = l.IndexOf(" : ", StringComparison.Ordinal);
        if (colon < 0) return l;
        int indent = l.Length - l.TrimStart(' ').Length;
        return new string(' ', indent) + "00000000-00000000" + l[colon..];
    }));

    /// <summary>The in-use capture unpacked, with <paramref name="iomem"/> as its /proc/iomem (none when null).</summary>
    public static SnapshotArchive Open(string? iomem = IoMem)
    {
        var tree = Fixtures.Open("lab-in-use-6.12");
        if (iomem is not null) File.WriteAllText(Path.Combine(tree.Directory, "proc", "iomem"), iomem);
        return tree;
    }
}
