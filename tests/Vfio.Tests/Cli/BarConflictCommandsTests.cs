using Vfio.Tests.Support;

namespace Vfio.Tests.Cli;

/// <summary>show and plan on a host whose firmware framebuffer holds the boot VGA's BAR 0 (kernel-facts section 10).</summary>
public class BarConflictCommandsTests
{
    [Fact]
    public void Show_names_the_bar_the_owner_and_the_fix()
    {
        using var tree = UefiFramebuffer.Open();
        var r = CliRun.Run("--root", tree.Directory, "show", "00:01.0");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("BAR conflicts (vfio-pci cannot reserve these BARs):", r.Out);
        Assert.Contains("BAR 0 [mem 0xfd000000-0xfdffffff] is reserved by BOOTFB (claimed by simpledrm)", r.Out);
        Assert.Contains("fix: boot with initcall_blacklist=sysfb_init", r.Out);
        Assert.Contains("echo simple-framebuffer.0 > /sys/bus/platform/drivers/simple-framebuffer/unbind", r.Out);
    }

    [Fact]
    public void Show_json_has_the_documented_bar_conflict_fields()
    {
        using var tree = UefiFramebuffer.Open();
        using var doc = CliRun.Run("--root", tree.Directory, "show", "00:01.0", "--json").Json();
        var c = Assert.Single(doc.RootElement.GetProperty("barConflicts").EnumerateArray());
        Assert.Equal(0, c.GetProperty("bar").GetInt32());
        Assert.Equal("0xfd000000", c.GetProperty("start").GetString());
        Assert.Equal("0xfdffffff", c.GetProperty("end").GetString());
        Assert.Equal("BOOTFB", c.GetProperty("owner").GetString());
        Assert.Equal("0xfd2fffff", c.GetProperty("ownerEnd").GetString());
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
        using var tree = UefiFramebuffer.Open(UefiFramebuffer.Unprivileged);
        var r = CliRun.Run("--root", tree.Directory, "show", "00:01.0");
        Assert.Contains("a BAR is reserved by BOOTFB (claimed by simpledrm)", r.Out);
        Assert.Contains("run as root to see which BAR", r.Out);
        using var doc = CliRun.Run("--root", tree.Directory, "show", "00:01.0", "--json").Json();
        var c = Assert.Single(doc.RootElement.GetProperty("barConflicts").EnumerateArray());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, c.GetProperty("bar").ValueKind);
        Assert.True(c.GetProperty("addressesHidden").GetBoolean());
    }

    [Fact]
    public void Show_on_a_capture_without_proc_iomem_says_the_check_was_not_done()
    {
        using var tree = UefiFramebuffer.Open(iomem: null);
        var r = CliRun.Run("--root", tree.Directory, "show", "00:01.0");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("BAR conflicts: not checked: /proc/iomem could not be read", r.Out);
    }

    [Fact]
    public void Plan_refuses_with_exit_3_and_force_prints_the_conflict_as_overridden()
    {
        using var tree = UefiFramebuffer.Open();
        var refused = CliRun.Run("--root", tree.Directory, "plan", "00:01.0");
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("refused: 0000:00:01.0 BAR 0 [mem 0xfd000000-0xfdffffff] is reserved by BOOTFB", refused.Out);
        Assert.Contains("Fix: boot with initcall_blacklist=sysfb_init", refused.Out);

        var forced = CliRun.Run("--root", tree.Directory, "plan", "00:01.0", "--force");
        Assert.Equal(0, forced.ExitCode);
        Assert.Contains("overridden: 0000:00:01.0 BAR 0 [mem 0xfd000000-0xfdffffff] is reserved by BOOTFB", forced.Out);
    }

    [Fact]
    public void Plan_json_carries_the_conflict_and_the_refusal()
    {
        using var tree = UefiFramebuffer.Open();
        var r = CliRun.Run("--root", tree.Directory, "plan", "00:01.0", "--json", "--force");
        Assert.Equal(0, r.ExitCode);
        using var doc = r.Json();
        Assert.True(doc.RootElement.GetProperty("canApply").GetBoolean());
        var c = Assert.Single(doc.RootElement.GetProperty("barConflicts").EnumerateArray());
        Assert.Equal("0000:00:01.0", c.GetProperty("address").GetString());
        Assert.Equal(0, c.GetProperty("bar").GetInt32());
        Assert.Equal("BOOTFB", c.GetProperty("owner").GetString());
        Assert.Contains(doc.RootElement.GetProperty("refusals").EnumerateArray(),
            x => x.GetProperty("reason").GetString()!.Contains("BOOTFB") && x.GetProperty("overridable").GetBoolean());
    }
}
