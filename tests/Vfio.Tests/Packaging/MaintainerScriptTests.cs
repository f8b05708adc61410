namespace Vfio.Tests.Packaging;

/// <summary>
/// The maintainer scripts, run as dpkg runs them (dash, set -e) against a scratch root (DPKG_ROOT)
/// with stand-ins for vfioctl, udevadm, deb-systemd-helper and update-initramfs: removing the
/// package leaves no rule that still claims devices, purging removes the state, and installing works
/// where neither systemd nor udev runs.
/// </summary>
public class MaintainerScriptTests
{
    private const string RulePath = "etc/udev/rules.d/40-vfioctl.rules";

    private static ScriptSandbox Sandbox() => new("udevadm", "systemctl", "deb-systemd-helper", "update-initramfs");

    private static string Root(ScriptSandbox box) => Path.Combine(box.Dir, "root");

    private static Dictionary<string, string> Env(ScriptSandbox box) => new() { ["DPKG_ROOT"] = Root(box) };

    private static string Declare(ScriptSandbox box)
    {
        var rule = Path.Combine(Root(box), RulePath);
        ScriptSandbox.Write(rule, "ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"0000:01:00.0\", ATTR{driver_override}=\"vfio-pci\", RUN{builtin}+=\"kmod load vfio-pci\"\n");
        ScriptSandbox.Write(Path.Combine(Root(box), "etc/vfioctl/assignments.yaml"), "devices: []\n");
        ScriptSandbox.Write(Path.Combine(Root(box), "var/lib/vfioctl/journal"), "{}\n");
        return rule;
    }

    /// <summary>The packaged vfioctl, as a stand-in that records its arguments (and, for --remove, removes nothing: the scripts must not rely on it).</summary>
    private static void InstalledVfioctl(ScriptSandbox box) =>
        ScriptSandbox.Write(Path.Combine(Root(box), "usr/bin/vfioctl"), $"#!/bin/sh\necho \"vfioctl $*\" >> '{box.Calls}'\nexit 0\n", executable: true);

    [Fact]
    public void Removing_the_package_removes_the_rule_through_vfioctl_and_again_after_it()
    {
        using var box = Sandbox();
        var rule = Declare(box);
        InstalledVfioctl(box);

        var prerm = box.Run("packaging/debian/prerm", Env(box), args: "remove");
        Assert.True(prerm.Code == 0, prerm.Err);
        Assert.Contains($"vfioctl --root {Root(box)} persist rules --remove", box.CallLines);
        Assert.False(File.Exists(rule), "prerm left the rule behind");

        // postrm alone (vfioctl already gone, the rule put back by hand) still removes it.
        Declare(box);
        var postrm = box.Run("packaging/debian/postrm", Env(box), args: "remove");
        Assert.True(postrm.Code == 0, postrm.Err);
        Assert.False(File.Exists(rule), "postrm left the rule behind");
        Assert.True(File.Exists(Path.Combine(Root(box), "etc/vfioctl/assignments.yaml")), "remove (not purge) deleted the declared state");
    }

    [Fact]
    public void An_upgrade_keeps_the_rule()
    {
        using var box = Sandbox();
        var rule = Declare(box);
        InstalledVfioctl(box);
        var prerm = box.Run("packaging/debian/prerm", Env(box), args: ["upgrade", "0.12.0-2"]);
        Assert.True(prerm.Code == 0, prerm.Err);
        Assert.True(File.Exists(rule));
        Assert.DoesNotContain(box.CallLines, c => c.StartsWith("vfioctl", StringComparison.Ordinal));
    }

    [Fact]
    public void Purge_removes_the_declared_state_and_the_journal()
    {
        using var box = Sandbox();
        Declare(box);
        var postrm = box.Run("packaging/debian/postrm", Env(box), args: "purge");
        Assert.True(postrm.Code == 0, postrm.Err);
        Assert.False(Directory.Exists(Path.Combine(Root(box), "etc/vfioctl")));
        Assert.False(Directory.Exists(Path.Combine(Root(box), "var/lib/vfioctl")));
        Assert.False(File.Exists(Path.Combine(Root(box), RulePath)));
        Assert.Contains("deb-systemd-helper purge vfioctl.service", box.CallLines);
    }

    [Fact]
    public void Install_regenerates_the_rule_and_enables_the_unit_without_systemd_or_udev_running()
    {
        using var box = Sandbox();
        Declare(box);
        InstalledVfioctl(box);
        var postinst = box.Run("packaging/debian/postinst", Env(box), args: ["configure", ""]);
        Assert.True(postinst.Code == 0, postinst.Err);
        var calls = box.CallLines;
        Assert.Contains($"vfioctl --root {Root(box)} persist rules", calls);
        Assert.Contains("deb-systemd-helper enable vfioctl.service", calls);
        // Not started at install: devices are assigned at the next boot or by 'vfioctl apply'.
        Assert.DoesNotContain(calls, c => c.Contains(" start", StringComparison.Ordinal));
    }

    [Fact]
    public void Install_succeeds_when_vfioctl_cannot_write_the_rule_and_without_deb_systemd_helper()
    {
        using var box = new ScriptSandbox();
        Declare(box);
        ScriptSandbox.Write(Path.Combine(Root(box), "usr/bin/vfioctl"), "#!/bin/sh\necho 'no sysfs here' >&2\nexit 1\n", executable: true);
        // A PATH with neither deb-systemd-helper nor systemctl, udevadm or update-initramfs.
        var env = Env(box);
        env["PATH"] = $"{box.Bin}:/nonexistent";
        foreach (var tool in new[] { "rm", "mkdir", "ln", "cat" })
            ScriptSandbox.Write(Path.Combine(box.Bin, tool), $"#!/bin/sh\nexec /bin/{tool} \"$@\"\n", executable: true);

        var postinst = box.Run("packaging/debian/postinst", env, args: ["configure", ""]);

        Assert.True(postinst.Code == 0, $"postinst failed: {postinst.Err}");
        Assert.Contains("persist rules", postinst.Err);
        // Enabled by hand, as deb-systemd-helper would: the unit is wanted by sysinit.target.
        Assert.Equal("/lib/systemd/system/vfioctl.service",
            new FileInfo(Path.Combine(Root(box), "etc/systemd/system/sysinit.target.wants/vfioctl.service")).LinkTarget);
    }
}
