using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Tests.Support;

namespace Vfio.Tests.Host;

/// <summary>/proc/iomem read into a tree, and the BARs the firmware framebuffer holds (kernel-facts section 10).</summary>
public class IoMemTests
{
    private static readonly PciAddress Vga = PciAddress.Parse(UefiFramebuffer.Vga);

    [Fact]
    public void Nesting_follows_the_indentation_of_a_real_uefi_guests_file()
    {
        var map = IoMemReader.Parse(UefiFramebuffer.CapturedIoMem());
        Assert.True(map.Readable);
        Assert.False(map.AddressesHidden);
        Assert.Null(map.Problem);
        var bus = map.Roots.Single(r => r.Name == "PCI Bus 0000:00" && r.Start == 0xc0000000);
        Assert.Equal(0xfebfffffUL, bus.End);
        var bar0 = bus.Children[0];
        Assert.Equal((UefiFramebuffer.Vga, 0xc0000000UL, 0xc0ffffffUL), (bar0.Name, bar0.Start, bar0.End));
        var efifb = Assert.Single(bar0.Children);
        Assert.Equal(("efifb", 0xc03e7fffUL), (efifb.Name, efifb.End));
        // Names with spaces and brackets are kept whole; 64-bit addresses parse.
        Assert.Contains(map.Roots, r => r.Name == "PCI ECAM 0000 [bus 00-ff]");
        Assert.Contains(map.Roots, r => r.Name == "PCI Bus 0000:00" && r.Start == 0xe000000000);
    }

    [Fact]
    public void All_zero_addresses_mean_read_without_root_and_the_nesting_still_names_the_device()
    {
        var map = IoMemReader.Parse(UefiFramebuffer.Unprivileged(UefiFramebuffer.CapturedIoMem()));
        Assert.True(map.AddressesHidden);
        var c = Assert.Single(BarConflictFinder.Find(new PciDevice { Address = Vga }, [], map));
        Assert.Null(c.BarIndex);
        Assert.True(c.AddressesHidden);
        Assert.Equal("efifb", c.Owner);
        Assert.Contains("run as root to see which BAR", c.Describe());
        // With addresses hidden nothing can be matched by range: another device is not blamed.
        Assert.Empty(BarConflictFinder.Find(new PciDevice { Address = PciAddress.Parse(UefiFramebuffer.Display) }, [], map));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("garbage without any entry\n")]
    public void An_empty_or_garbage_file_is_unreadable_with_a_reason_and_finds_nothing(string text)
    {
        var map = IoMemReader.Parse(text);
        Assert.False(map.Readable);
        Assert.Contains("/proc/iomem", map.Problem);
        Assert.Empty(BarConflictFinder.Find(new PciDevice { Address = Vga }, [Bar0()], map));
    }

    [Fact]
    public void A_truncated_file_keeps_what_was_read_and_says_the_last_line_was_cut()
    {
        // Cut in the middle of the line after the VGA's BAR 0: efifb's.
        string text = UefiFramebuffer.CapturedIoMem();
        string cut = text[..(text.IndexOf("efifb", StringComparison.Ordinal) - 12)];
        var map = IoMemReader.Parse(cut);
        Assert.True(map.Readable);
        Assert.Contains("cut short", map.Problem);
        Assert.Contains(map.Walk(), e => e.Entry.Name == UefiFramebuffer.Vga);
        Assert.DoesNotContain(map.Walk(), e => e.Entry.Name == "efifb");
    }

    [Fact]
    public void Lines_that_are_not_entries_are_ignored_and_counted_and_a_jump_in_depth_does_not_crash()
    {
        var map = IoMemReader.Parse("c0000000-febfffff : PCI Bus 0000:00\nzzzz-1 : x\n      fd000000-fd2fffff : BOOTFB\n0-1\n");
        Assert.True(map.Readable);
        Assert.Contains("2 line(s)", map.Problem);
        Assert.Equal("BOOTFB", Assert.Single(map.Roots[0].Children).Name);
    }

    [Fact]
    public void Efifb_inside_the_vgas_bar_0_is_a_conflict_on_bar_0_with_its_fix()
    {
        var map = IoMemReader.Parse(UefiFramebuffer.CapturedIoMem());
        var c = Assert.Single(BarConflictFinder.Find(new PciDevice { Address = Vga }, [Bar0(), Bar(2, 0xc2516000, 0x1000)], map));
        Assert.Equal(0, c.BarIndex);
        Assert.Equal((0xc0000000UL, 0xc0ffffffUL), (c.Start!.Value, c.End!.Value));
        Assert.Equal(("efifb", 0xc03e7fffUL), (c.Owner, c.OwnerEnd!.Value));
        Assert.Empty(c.ClaimedBy);
        Assert.Contains("video=efifb:off", c.Fix);
        Assert.Contains("echo efi-framebuffer.0 > /sys/bus/platform/drivers/efi-framebuffer/unbind", c.Fix);
        Assert.Equal("BAR 0 [mem 0xc0000000-0xc0ffffff] is reserved by efifb, the efifb framebuffer driver, on the EFI framebuffer", c.Describe());
    }

    [Fact]
    public void Bootfb_claimed_by_simpledrm_is_one_conflict_naming_both_and_both_fixes()
    {
        var map = IoMemReader.Parse("c0000000-febfffff : PCI Bus 0000:00\n  c1000000-c1ffffff : 0000:00:06.0\n    c1000000-c12fffff : BOOTFB\n      c1000000-c12fffff : simpledrm\n");
        var c = Assert.Single(BarConflictFinder.Find(new PciDevice { Address = PciAddress.Parse(UefiFramebuffer.Display) }, [Bar(0, 0xc1000000, 16 << 20)], map));
        Assert.Equal(("BOOTFB", 0), (c.Owner, c.BarIndex));
        Assert.Equal(["simpledrm"], c.ClaimedBy);
        Assert.Contains("initcall_blacklist=sysfb_init", c.Fix);
        Assert.Contains("echo simple-framebuffer.0 > /sys/bus/platform/drivers/simple-framebuffer/unbind", c.Fix);
        Assert.StartsWith("BAR 0 [mem 0xc1000000-0xc1ffffff] is reserved by BOOTFB (claimed by simpledrm)", c.Describe());
    }

    [Fact]
    public void The_devices_own_entries_and_its_drivers_claim_are_not_conflicts()
    {
        // bochs-drm inside BAR 2 is the device's own driver; an unknown name is not judged either.
        var map = IoMemReader.Parse("c0000000-febfffff : PCI Bus 0000:00\n  feb10000-feb10fff : 0000:00:01.0\n    feb10000-feb10fff : bochs-drm\n  fe000000-fe003fff : 0000:00:01.0\n    fe000000-fe003fff : xhci-hcd\n");
        var d = new PciDevice { Address = Vga, Driver = "bochs-drm" };
        Assert.Empty(BarConflictFinder.Find(d, [Bar(2, 0xfeb10000, 0x1000), Bar(4, 0xfe000000, 0x4000)], map));
        Assert.Empty(BarConflictFinder.Candidates(map));
    }

    [Theory]
    [InlineData("efifb", "video=efifb:off")]
    [InlineData("vesafb", "video=vesafb:off")]
    [InlineData("vga16fb", "vga16fb")]
    public void Each_known_owner_comes_with_its_own_fix(string owner, string fix)
    {
        var map = IoMemReader.Parse($"c0000000-febfffff : PCI Bus 0000:00\n  c0000000-c0ffffff : 0000:00:01.0\n    c0000000-c02fffff : {owner}\n");
        var c = Assert.Single(BarConflictFinder.Find(new PciDevice { Address = Vga }, [Bar0()], map));
        Assert.Equal(owner, c.Owner);
        Assert.Contains(fix, c.Fix);
    }

    [Fact]
    public void An_owner_overlapping_a_bar_without_being_nested_in_it_is_found_by_range()
    {
        // A framebuffer registered before the BAR (or reported beside it) still overlaps it.
        var map = IoMemReader.Parse("c0000000-c02fffff : BOOTFB\nc0000000-c0ffffff : 0000:00:01.0\n");
        var c = Assert.Single(BarConflictFinder.Find(new PciDevice { Address = Vga }, [Bar0()], map));
        Assert.Equal(0, c.BarIndex);
        Assert.Contains(UefiFramebuffer.Vga, BarConflictFinder.Candidates(map));
        // A BAR elsewhere is not touched.
        Assert.Empty(BarConflictFinder.Find(new PciDevice { Address = Vga }, [Bar(2, 0xc2516000, 0x1000)], map));
    }

    [Fact]
    public void The_host_model_reads_proc_iomem_through_its_root_and_attaches_the_conflict_to_the_boot_vga()
    {
        using var tree = UefiFramebuffer.Open();
        // The assignment commands read without details (no BARs): the conflict is found all the same.
        foreach (var details in new[] { true, false })
        {
            var host = HostReader.Read(new HostFiles(tree.Directory), new HostReadOptions { Details = details });
            var c = Assert.Single(host.FindDevice(Vga)!.BarConflicts);
            Assert.Equal((0, "efifb", 0xc0000000UL), (c.BarIndex, c.Owner, c.Start!.Value));
            Assert.All(host.Devices.Where(d => d.Address != Vga), d => Assert.Empty(d.BarConflicts));
        }
    }

    [Fact]
    public void A_capture_without_proc_iomem_finds_nothing_and_says_it_did_not_check()
    {
        using var tree = UefiFramebuffer.OpenWith(_ => null);
        var host = HostReader.Read(new HostFiles(tree.Directory));
        Assert.False(host.IoMem.Readable);
        Assert.Contains("not checked", host.IoMem.Problem);
        Assert.All(host.Devices, d => Assert.Empty(d.BarConflicts));
        Assert.DoesNotContain(host.Warnings, w => w.Contains("iomem"));
    }

    [Fact]
    public void A_truncated_proc_iomem_in_a_tree_is_a_host_warning_not_a_crash()
    {
        using var tree = UefiFramebuffer.OpenWith(t => t[..^10]);
        var host = HostReader.Read(new HostFiles(tree.Directory));
        Assert.Contains(host.Warnings, w => w.Contains("/proc/iomem") && w.Contains("cut short"));
        Assert.Single(host.FindDevice(Vga)!.BarConflicts);
    }

    [Fact]
    public void A_snapshot_captures_proc_iomem_and_replays_the_conflict()
    {
        using var tree = UefiFramebuffer.Open();
        var archive = Path.Combine(tree.Directory, "..", Path.GetFileName(tree.Directory) + "-again.tar.gz");
        try
        {
            using (var f = File.Create(archive)) new Vfio.Host.Snapshot.SnapshotWriter(new HostFiles(tree.Directory)).Write(f, "test");
            using var again = Vfio.Host.Snapshot.SnapshotArchive.Open(archive);
            Assert.Equal(UefiFramebuffer.CapturedIoMem(), File.ReadAllText(Path.Combine(again.Directory, "proc", "iomem")));
            var host = HostReader.Read(new HostFiles(again.Directory));
            Assert.Equal("efifb", Assert.Single(host.FindDevice(Vga)!.BarConflicts).Owner);
        }
        finally { File.Delete(archive); }
    }

    private static PciBar Bar0() => Bar(0, 0xc0000000, 16 << 20);

    private static PciBar Bar(int index, ulong start, ulong size) =>
        new() { Slot = BarSlot.Bar, Index = index, Start = start, Size = size, Prefetchable = index == 0 };
}
