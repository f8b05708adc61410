using Vfio.Tests.Architecture;

namespace Vfio.Tests.Packaging;

/// <summary>vfioctl.service: what makes it run once, early, at every boot, before the consumers, and never hold a boot for long.</summary>
public class UnitFileTests
{
    /// <summary>The unit as (section, key) -> values, in order (a key may repeat).</summary>
    private static Dictionary<(string, string), List<string>> Unit()
    {
        var fields = new Dictionary<(string, string), List<string>>();
        string section = "";
        foreach (var raw in File.ReadAllLines(RepositoryFiles.PathOf("packaging/systemd/vfioctl.service")))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line[0] == '[') { section = line.Trim('[', ']'); continue; }
            var eq = line.IndexOf('=');
            Assert.True(eq > 0, $"not a key=value line: {raw}");
            var key = (section, line[..eq]);
            if (!fields.TryGetValue(key, out var list)) fields[key] = list = [];
            list.Add(line[(eq + 1)..]);
        }
        return fields;
    }

    private static string[] Words(Dictionary<(string, string), List<string>> unit, string section, string key) =>
        unit.TryGetValue((section, key), out var v) ? v.SelectMany(x => x.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray() : [];

    [Fact]
    public void It_runs_apply_boot_once_and_stays_active()
    {
        var u = Unit();
        Assert.Equal(["oneshot"], u[("Service", "Type")]);
        Assert.Equal(["yes"], u[("Service", "RemainAfterExit")]);
        Assert.Equal(["/usr/bin/vfioctl apply --boot"], u[("Service", "ExecStart")]);
        Assert.Equal(["journal"], u[("Service", "StandardOutput")]);
    }

    [Fact]
    public void It_runs_after_udev_and_the_modules_and_before_the_consumers()
    {
        var u = Unit();
        var after = Words(u, "Unit", "After");
        foreach (var x in new[] { "systemd-udev-trigger.service", "systemd-modules-load.service", "sysinit.target" })
            Assert.Contains(x, after);
        var before = Words(u, "Unit", "Before");
        foreach (var x in new[] { "libvirtd.service", "docker.service", "containerd.service", "kubelet.service", "basic.target" })
            Assert.Contains(x, before);
        Assert.Contains(u[("Service", "ExecStartPre")], v => v.StartsWith("-", StringComparison.Ordinal) && v.Contains("udevadm settle", StringComparison.Ordinal));
    }

    [Fact]
    public void It_is_wanted_at_every_boot_never_holds_it_long_and_skips_containers_and_the_initrd()
    {
        var u = Unit();
        Assert.Equal(["sysinit.target"], u[("Install", "WantedBy")]);
        var timeout = int.Parse(u[("Service", "TimeoutStartSec")].Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(timeout, 10, 120);
        Assert.Contains("!container", u[("Unit", "ConditionVirtualization")]);
        Assert.Contains("!/etc/initrd-release", u[("Unit", "ConditionPathExists")]);
        Assert.Contains("/etc/vfioctl/assignments.yaml", u[("Unit", "ConditionPathExists")]);
    }
}
