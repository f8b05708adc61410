using System.Diagnostics;

namespace Vfio.RealKernel.Tests;

/// <summary>
/// Checks that the lab itself is right: the guest is the kernel and topology it claims to be,
/// drivers were coldplugged, and every device sits at its documented address and in its
/// documented IOMMU group (src/Vfio.Lab/Topologies.cs, docs/lab.md). Reads only the guest's
/// file systems and standard tools, no project types, so a failure here points at the lab and
/// not at the code under test. Skipped outside a lab guest.
/// </summary>
/// <remarks>
/// Traits are per test (scripts/lab-test filters with -trait topology=NAME): the common facts carry
/// every topology, the others only their own, so no run reports tests skipped for the wrong guest.
/// </remarks>
public class LabSmokeTests
{
    private const string Devices = "/sys/bus/pci/devices";

    [Fact]
    [Trait("topology", "basic")]
    [Trait("topology", "sriov")]
    [Trait("topology", "in-use")]
    public void Running_kernel_is_the_series_VFIOCTL_LAB_KERNEL_names()
    {
        RequireLab();
        var series = Environment.GetEnvironmentVariable("VFIOCTL_LAB_KERNEL");
        Assert.True(series is "6.12" or "6.1" or "7.3", $"VFIOCTL_LAB_KERNEL is '{series}'");
        var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(); // what uname -r prints
        var parts = release.Split('.', '-', '+');
        Assert.Equal(series, $"{parts[0]}.{parts[1]}");
    }

    [Fact]
    [Trait("topology", "basic")]
    [Trait("topology", "sriov")]
    [Trait("topology", "in-use")]
    public void Topology_variable_names_a_lab_topology()
    {
        RequireLab();
        var topology = Environment.GetEnvironmentVariable("VFIOCTL_LAB_TOPOLOGY");
        Assert.True(topology is "basic" or "sriov" or "in-use", $"VFIOCTL_LAB_TOPOLOGY is '{topology}'");
        Assert.Equal("1", Environment.GetEnvironmentVariable("VFIOCTL_LAB"));
    }

    [Fact]
    [Trait("topology", "basic")]
    [Trait("topology", "sriov")]
    [Trait("topology", "in-use")]
    public void The_emulated_IOMMU_creates_groups()
    {
        RequireLab();
        Assert.True(Directory.Exists("/sys/kernel/iommu_groups"), "no /sys/kernel/iommu_groups: the IOMMU is off");
        var groups = Directory.GetDirectories("/sys/kernel/iommu_groups");
        Assert.True(groups.Length >= 8, $"only {groups.Length} IOMMU groups");
        foreach (var g in groups) Assert.NotEmpty(Directory.GetFileSystemEntries(Path.Combine(g, "devices")));
        foreach (var d in Directory.GetDirectories(Devices))
        {
            Assert.True(Directory.Exists(Path.Combine(d, "iommu_group")), $"{Path.GetFileName(d)} has no IOMMU group");
        }
    }

    [Fact]
    [Trait("topology", "basic")]
    [Trait("topology", "sriov")]
    [Trait("topology", "in-use")]
    public void Lab_shares_are_virtio_9p_at_their_fixed_addresses()
    {
        RequireLab();
        foreach (var a in new[] { "0000:00:1d.0", "0000:00:1e.0" })
        {
            Assert.Equal("1af4:1009", Ids(a));
            Assert.Equal("virtio-pci", Driver(a));
            Assert.Equal([a], GroupMembers(a));
        }
    }

    [Fact]
    [Trait("topology", "basic")]
    [Trait("topology", "sriov")]
    [Trait("topology", "in-use")]
    public void ICH9_functions_share_one_group()
    {
        RequireLab();
        Assert.Equal(["0000:00:1f.0", "0000:00:1f.2", "0000:00:1f.3"], GroupMembers("0000:00:1f.0"));
        Assert.Equal("8086:2918", Ids("0000:00:1f.0"));
    }

    // ---- basic

    [Fact]
    [Trait("topology", "basic")]
    public void Basic_edu_on_the_root_bus_is_alone_in_its_group()
    {
        RequireTopology("basic");
        Assert.Equal("1234:11e8", Ids("0000:00:02.0"));
        Assert.Null(Driver("0000:00:02.0"));
        Assert.Equal(["0000:00:02.0"], GroupMembers("0000:00:02.0"));
    }

    [Fact]
    [Trait("topology", "basic")]
    public void Basic_bridge_group_holds_the_bridge_the_e1000_and_the_second_edu()
    {
        RequireTopology("basic");
        Assert.Equal("1b36:000e", Ids("0000:00:05.0"));
        Assert.Equal("8086:100e", Ids("0000:03:01.0"));
        Assert.Equal("1234:11e8", Ids("0000:03:02.0"));
        Assert.Equal(["0000:00:05.0", "0000:03:01.0", "0000:03:02.0"], GroupMembers("0000:03:02.0"));
    }

    [Fact]
    [Trait("topology", "basic")]
    public void Basic_devices_behind_root_ports_have_drivers_and_own_groups()
    {
        RequireTopology("basic");
        Assert.Equal("1b36:0010", Ids("0000:01:00.0"));
        Assert.Equal("nvme", Driver("0000:01:00.0"));
        Assert.Equal(["0000:01:00.0"], GroupMembers("0000:01:00.0"));
        Assert.Equal("8086:10d3", Ids("0000:02:00.0"));
        Assert.Equal("e1000e", Driver("0000:02:00.0"));
        Assert.Equal(["0000:02:00.0"], GroupMembers("0000:02:00.0"));
        Assert.Equal("e1000", Driver("0000:03:01.0"));
        Assert.Equal("pcieport", Driver("0000:00:03.0"));
    }

    // ---- sriov

    [Fact]
    [Trait("topology", "sriov")]
    public void Sriov_each_PF_offers_64_VFs_and_has_none_yet()
    {
        RequireTopology("sriov");
        foreach (var pf in new[] { "0000:01:00.0", "0000:02:00.0" })
        {
            Assert.Equal("1b36:0010", Ids(pf));
            Assert.Equal("nvme", Driver(pf));
            Assert.Equal("64", Attr(pf, "sriov_totalvfs"));
            Assert.Equal("0", Attr(pf, "sriov_numvfs"));
            Assert.Equal("1", Attr(pf, "sriov_offset"));
            Assert.Equal("1", Attr(pf, "sriov_stride"));
            Assert.Equal([pf], GroupMembers(pf));
        }
    }

    [Fact]
    [Trait("topology", "sriov")]
    public void Sriov_VFs_appear_at_the_documented_addresses_each_in_its_own_group()
    {
        RequireTopology("sriov");
        const string pf = "0000:02:00.0";
        var dir = $"{Devices}/{pf}";
        File.WriteAllText($"{dir}/sriov_drivers_autoprobe", "0");
        try
        {
            File.WriteAllText($"{dir}/sriov_numvfs", "2");
            foreach (var vf in new[] { "0000:02:00.1", "0000:02:00.2" })
            {
                Assert.True(Directory.Exists($"{Devices}/{vf}"), $"VF {vf} did not appear");
                Assert.Equal(pf, Path.GetFileName(new DirectoryInfo($"{Devices}/{vf}/physfn").LinkTarget));
                Assert.Equal([vf], GroupMembers(vf));
                Assert.Null(Driver(vf));
            }
        }
        finally
        {
            File.WriteAllText($"{dir}/sriov_numvfs", "0"); // no VF is open: cannot block
            File.WriteAllText($"{dir}/sriov_drivers_autoprobe", "1");
        }
        Assert.False(Directory.Exists($"{Devices}/0000:02:00.1"));
    }

    // ---- in-use

    [Fact]
    [Trait("topology", "in-use")]
    public void InUse_disk_has_a_mounted_ext4_file_system()
    {
        RequireTopology("in-use");
        var mount = File.ReadAllLines("/proc/mounts").Select(l => l.Split(' ')).SingleOrDefault(f => f[1] == "/mnt/lab-disk");
        Assert.NotNull(mount);
        Assert.Equal("ext4", mount[2]);
        Assert.StartsWith("/dev/nvme", mount[0]);
        var block = new DirectoryInfo($"/sys/class/block/{Path.GetFileName(mount[0])}").ResolveLinkTarget(returnFinalTarget: true)!.FullName;
        Assert.Contains("/0000:01:00.0/", block);
        Assert.Equal("nvme", Driver("0000:01:00.0"));
    }

    [Fact]
    [Trait("topology", "in-use")]
    public void InUse_nic_is_up_with_the_documentation_address()
    {
        RequireTopology("in-use");
        Assert.Equal("e1000e", Driver("0000:02:00.0"));
        var nic = Path.GetFileName(Assert.Single(Directory.GetDirectories($"{Devices}/0000:02:00.0/net")));
        var flags = Convert.ToInt32(File.ReadAllText($"/sys/class/net/{nic}/flags").Trim(), 16);
        Assert.True((flags & 1) != 0, $"{nic} is not up (flags {flags:x})");
        var (code, output) = Run("ip", "-o", "-4", "addr", "show", "dev", nic);
        Assert.Equal(0, code);
        Assert.Contains("inet 192.0.2.10/24", output);
    }

    [Fact]
    [Trait("topology", "in-use")]
    public void InUse_VGA_at_00_01_0_is_the_boot_VGA()
    {
        RequireTopology("in-use");
        Assert.Equal("1234:1111", Ids("0000:00:01.0"));
        Assert.Equal("0x030000", Attr("0000:00:01.0", "class"));
        Assert.Equal("1", Attr("0000:00:01.0", "boot_vga"));
        Assert.Equal(["0000:00:01.0"], GroupMembers("0000:00:01.0"));
        Assert.Equal("1234:11e8", Ids("0000:00:02.0"));
    }

    // ---- helpers (file system only)

    private static void RequireLab() =>
        Assert.SkipUnless(Environment.GetEnvironmentVariable("VFIOCTL_LAB") == "1",
            "needs a real-kernel lab guest (vfioctl lab run; scripts/lab-test)");

    private static void RequireTopology(string topology)
    {
        RequireLab();
        var actual = Environment.GetEnvironmentVariable("VFIOCTL_LAB_TOPOLOGY");
        Assert.SkipUnless(actual == topology, $"needs topology {topology}, this guest is {actual}");
    }

    private static string Attr(string address, string name) => File.ReadAllText($"{Devices}/{address}/{name}").Trim();

    private static string Ids(string address)
    {
        Assert.True(Directory.Exists($"{Devices}/{address}"), $"no PCI device at {address}");
        return $"{Attr(address, "vendor")[2..]}:{Attr(address, "device")[2..]}";
    }

    private static string? Driver(string address)
    {
        var target = new FileInfo($"{Devices}/{address}/driver").LinkTarget;
        return target is null ? null : Path.GetFileName(target);
    }

    private static string[] GroupMembers(string address) =>
        [.. Directory.GetFileSystemEntries($"{Devices}/{address}/iommu_group/devices")
            .Select(p => Path.GetFileName(p))
            .Order(StringComparer.Ordinal)];

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), $"{file} did not finish in 60 s");
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
