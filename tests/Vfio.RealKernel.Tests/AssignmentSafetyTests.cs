using System.Diagnostics;

namespace Vfio.RealKernel.Tests;

/// <summary>The bind command itself, as a process, in lab guests: refusals and SIGKILL mid-bind.</summary>
public class AssignmentSafetyTests
{
    private static (int Code, string Out) Cli(params string[] args) => InstalledVfioctl.Run(args);

    [Fact, Trait("topology", "in-use")]
    public void Binding_devices_the_host_uses_is_refused_with_exit_3_and_changes_nothing()
    {
        Guest.Require("in-use");
        var before = Guest.ReadHost();
        foreach (var target in new[] { "01:00.0", "02:00.0", "00:01.0" })
        {
            var (code, output) = Cli("bind", target, "--state-dir", "/tmp/vfioctl-refusal");
            Assert.True(code == 3, $"bind {target} exited {code}: {output}");
            Assert.Contains("refused", output);
        }
        var after = Guest.ReadHost();
        Assert.Equal(before.Devices.Select(d => (d.Address, d.Driver, d.DriverOverride)), after.Devices.Select(d => (d.Address, d.Driver, d.DriverOverride)));
        Assert.Contains("/mnt/lab-disk", File.ReadAllText("/proc/mounts"));
    }

    [Fact, Trait("topology", "basic")]
    public void Sigkill_during_bind_then_restore_returns_every_device()
    {
        Guest.Require("basic");
        const string state = "/tmp/vfioctl-kill-state";
        string[] bind = ["bind", "03:02.0", "--fence", "03:01.0", "--state-dir", state];
        // How long a whole bind takes here, to spread the kills over it.
        var sw = Stopwatch.StartNew();
        Assert.Equal(0, Cli(bind).Code);
        var full = sw.Elapsed;
        Assert.Equal(0, Cli("restore", "--all", "--state-dir", state).Code);

        foreach (var fraction in new[] { 0.6, 0.8, 0.9, 0.97 })
        {
            var psi = new ProcessStartInfo(InstalledVfioctl.Require()) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in bind) psi.ArgumentList.Add(a);
            using (var p = Process.Start(psi)!)
            {
                Thread.Sleep(full * fraction);
                p.Kill(); // SIGKILL: no finally blocks, no rollback
                p.WaitForExit();
            }
            var (code, output) = Cli("restore", "--all", "--state-dir", state);
            Assert.True(code == 0, $"restore after a kill at {fraction:P0} of {full.TotalSeconds:0.0} s exited {code}: {output}");
            var host = Guest.ReadHost();
            var e1000 = host.FindDevice(PciAddress.Parse("03:01.0"))!;
            var edu = host.FindDevice(PciAddress.Parse("03:02.0"))!;
            Assert.Equal("e1000", e1000.Driver);
            Assert.Null(e1000.DriverOverride);
            Assert.Null(edu.Driver);
            Assert.Null(edu.DriverOverride);
        }
    }

    [Fact, Trait("topology", "basic")]
    public void A_variant_alias_is_chosen_and_a_missing_variant_module_fails_cleanly()
    {
        Guest.Require("basic");
        var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var aliasPath = $"/lib/modules/{release}/modules.alias";
        var copy = "/tmp/modules.alias.variant";
        File.WriteAllText(copy, File.ReadAllText(aliasPath)
            + "alias vfio_pci:v00001234d000011E8sv*sd*bc*sc*i* edu_vfio_pci\n"
            + "this line is malformed\n");
        Guest.Sh($"mount --bind {copy} {aliasPath}");
        try
        {
            var (code, output) = Cli("plan", "00:02.0", "--json");
            Assert.True(code == 0, output);
            Assert.Contains("\"module\": \"edu_vfio_pci\"", output);
            Assert.Contains("variant driver edu_vfio_pci", output);

            // No such module exists: modprobe fails, the bind stops before touching the device.
            (code, output) = Cli("bind", "00:02.0", "--state-dir", "/tmp/vfioctl-variant");
            Assert.True(code == 1, output);
            Assert.Contains("edu_vfio_pci", output);
            Assert.Contains("modprobe", output);
            var edu = Guest.ReadHost().FindDevice(PciAddress.Parse("00:02.0"))!;
            Assert.Null(edu.Driver);
            Assert.Null(edu.DriverOverride);
        }
        finally
        {
            Guest.Sh($"umount {aliasPath}");
        }
    }
}
