using Vfio.Tests.Support;

namespace Vfio.Tests.Cli;

/// <summary>
/// show and plan on a UEFI guest's capture (efifb in the boot VGA's BAR 0) and on the same capture
/// with BOOTFB/simpledrm in a non-VGA display's BAR 0 (kernel-facts section 10).
/// </summary>
public class BarConflictCommandsTests
{
    [Fact]
    public void Show_names_the_bar_the_owner_and_the_fix()
    {
        using var tree = UefiFramebuffer.Open();
        var r = CliRun.Run("--root", tree.Directory, "show", "00:01.0");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("BAR conflicts:", r.Out);
        Assert.Contains("BAR 0 [mem 0xc0000000-0xc0ffffff] is reserved by efifb, the efifb framebuffer driver, on the EFI framebuffer", r.Out);
        Assert.Contains("vfio-pci removes it when it binds this VGA-class function", r.Out);
        Assert.Contains("fix: boot with video=efifb:off, or unbind it now: echo efi-framebuffer.0 > /sys/bus/platform/drivers/efi-framebuffer/unbind", r.Out);
    }

    [Fact]
    public void Show_json_has_the_documented_bar_conflict_fields()
    {
        using var tree = UefiFramebuffer.OpenWithBootFbOnDisplay();
        using var doc = CliRun.Run("--root", tree.Directory, "show", "00:06.0", "--json").Json();
        var c = Assert.Single(doc.RootElement.GetProperty("barConflicts").EnumerateArray());
        Assert.Equal(0, c.GetProperty("bar").GetInt32());
        Assert.Equal("0xc1000000", c.GetProperty("start").GetString());
        Assert.Equal("0xc1ffffff", c.GetProperty("end").GetString());
        Assert.Equal("BOOTFB", c.GetProperty("owner").GetString());
        Assert.Equal("0xc12fffff", c.GetProperty("ownerEnd").GetString());
        Assert.Equal(["simpledrm"], c.GetProperty("claimedBy").EnumerateArray().Select(e => e.GetString()));
        Assert.False(c.GetProperty("addressesHidden").GetBoolean());
        Assert.Contains("initcall_blacklist=sysfb_init", c.GetProperty("fix").GetString());
        var iomem = doc.RootElement.GetProperty("iomem");
        Assert.True(iomem.GetProperty("readable").GetBoolean());
        Assert.False(iomem.GetProperty("addressesHidden").GetBoolean());
    }

    [Fact]
    public void Show_without_root_addresses_reports_the_conflict_on_an_unnamed_bar_and_says_why()
    {
        using var tree = UefiFramebuffer.OpenUnprivileged();
        var r = CliRun.Run("--root", tree.Directory, "show", "00:01.0");
        Assert.Contains("a BAR is reserved by efifb", r.Out);
        Assert.Contains("run as root to see which BAR", r.Out);
        using var doc = CliRun.Run("--root", tree.Directory, "show", "00:01.0", "--json").Json();
        var c = Assert.Single(doc.RootElement.GetProperty("barConflicts").EnumerateArray());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, c.GetProperty("bar").ValueKind);
        Assert.True(c.GetProperty("addressesHidden").GetBoolean());
        Assert.True(doc.RootElement.GetProperty("iomem").GetProperty("addressesHidden").GetBoolean());
    }

    [Fact]
    public void Show_on_a_capture_without_proc_iomem_says_the_check_was_not_done()
    {
        using var tree = UefiFramebuffer.OpenWith(_ => null);
        var r = CliRun.Run("--root", tree.Directory, "show", "00:01.0");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("BAR conflicts: not checked: /proc/iomem could not be read", r.Out);
    }

    [Fact]
    public void Plan_refuses_with_exit_3_and_force_prints_the_conflict_as_overridden()
    {
        using var tree = UefiFramebuffer.OpenWithBootFbOnDisplay();
        var refused = CliRun.Run("--root", tree.Directory, "plan", "00:06.0");
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("refused: 0000:00:06.0 BAR 0 [mem 0xc1000000-0xc1ffffff] is reserved by BOOTFB (claimed by simpledrm)", refused.Out);
        Assert.Contains("Fix: boot with initcall_blacklist=sysfb_init", refused.Out);

        var forced = CliRun.Run("--root", tree.Directory, "plan", "00:06.0", "--force");
        Assert.Equal(0, forced.ExitCode);
        Assert.Contains("overridden: 0000:00:06.0 BAR 0 [mem 0xc1000000-0xc1ffffff] is reserved by BOOTFB", forced.Out);
    }

    [Fact]
    public void Plan_json_carries_the_conflict_and_the_refusal()
    {
        using var tree = UefiFramebuffer.OpenWithBootFbOnDisplay();
        var r = CliRun.Run("--root", tree.Directory, "plan", "00:06.0", "--json", "--force");
        Assert.Equal(0, r.ExitCode);
        using var doc = r.Json();
        Assert.True(doc.RootElement.GetProperty("canApply").GetBoolean());
        var c = Assert.Single(doc.RootElement.GetProperty("barConflicts").EnumerateArray());
        Assert.Equal("0000:00:06.0", c.GetProperty("address").GetString());
        Assert.True(c.GetProperty("refused").GetBoolean());
        Assert.Equal(0, c.GetProperty("bar").GetInt32());
        Assert.Equal("BOOTFB", c.GetProperty("owner").GetString());
        Assert.Contains(doc.RootElement.GetProperty("refusals").EnumerateArray(),
            x => x.GetProperty("reason").GetString()!.Contains("BOOTFB") && x.GetProperty("overridable").GetBoolean());
    }

    [Fact]
    public void Plan_of_the_vga_notes_efifb_and_json_marks_it_not_refused()
    {
        using var tree = UefiFramebuffer.Open();
        var r = CliRun.Run("--root", tree.Directory, "plan", "00:01.0", "--force");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("note: 0000:00:01.0 BAR 0 [mem 0xc0000000-0xc0ffffff] is reserved by efifb", r.Out);
        using var doc = CliRun.Run("--root", tree.Directory, "plan", "00:01.0", "--json").Json();
        Assert.False(Assert.Single(doc.RootElement.GetProperty("barConflicts").EnumerateArray()).GetProperty("refused").GetBoolean());
    }
}
