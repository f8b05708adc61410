using Vfio.Lab;
using Vfio.Tests.Support;

namespace Vfio.Tests.Lab;

public class LabPersistenceTests
{
    private static List<string> Arguments(LabRunOptions options, string? stateDisk) =>
        [.. LabRunner.MachineArguments(options, new KernelImage(KernelSeries.Default, "pkg", "6.12.0-test", "/k"), "/initrd", "/share",
            d => $"/state/{d}.img", stateDisk)];

    private static string Append(List<string> args) => args[args.IndexOf("-append") + 1];

    [Fact]
    public void Without_a_state_directory_the_guest_has_no_state_disk_and_keeps_its_tmpfs_overlay()
    {
        var args = Arguments(new LabRunOptions(["true"]), stateDisk: null);
        Assert.DoesNotContain(args, a => a.Contains("virtio-blk", StringComparison.Ordinal));
        Assert.DoesNotContain("vfioctl_lab.state", Append(args));
    }

    [Fact]
    public void A_state_directory_attaches_its_root_image_at_a_slot_no_topology_uses_and_tells_init_to_mount_it()
    {
        var args = Arguments(new LabRunOptions(["true"]), stateDisk: "/state/root.ext4");
        Assert.Contains("vfioctl_lab.state=1", Append(args).Split(' '));
        Assert.Contains(args, a => a.StartsWith("file=/state/root.ext4,", StringComparison.Ordinal));
        Assert.Contains(args, a => a.StartsWith("virtio-blk-pci,", StringComparison.Ordinal) && a.EndsWith(",addr=0x1c", StringComparison.Ordinal));

        foreach (var topology in Topologies.All)
        {
            Assert.DoesNotContain(topology.Devices, d => d.Address.StartsWith("0000:00:1c.", StringComparison.Ordinal));
            Assert.DoesNotContain(topology.QemuArguments(d => d), a => a.Contains("addr=0x1c", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_moved_topology_uses_basic_s_nvme_image_and_serial_and_puts_the_e1000e_at_basic_s_nvme_address()
    {
        Assert.Equal(Topologies.Basic.Disks, Topologies.Moved.Disks);
        static string Nvme(Topology t) => t.QemuArguments(d => $"/state/{d}.img").Single(a => a.StartsWith("nvme,", StringComparison.Ordinal));
        Assert.Contains("serial=labnvme0", Nvme(Topologies.Basic));
        Assert.Contains("serial=labnvme0", Nvme(Topologies.Moved));

        var basicNvme = Topologies.Basic.Devices.Single(d => d.Model == "nvme");
        var movedNvme = Topologies.Moved.Devices.Single(d => d.Model == "nvme");
        Assert.NotEqual(basicNvme.Address, movedNvme.Address);
        Assert.Equal("8086:10d3", Topologies.Moved.Devices.Single(d => d.Address == basicNvme.Address).Id);
        Assert.Same(Topologies.Moved, Topologies.Find("moved"));
    }

    [Fact]
    public void An_empty_state_directory_is_a_usage_error_before_anything_boots()
    {
        var r = CliRun.Run("lab", "run", "--state", "", "--", "true");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--state", r.Err);
    }

    [Fact]
    public void Guest_packages_for_boot_tooling_cover_initramfs_tools_and_dracut_and_live_in_the_cache()
    {
        Assert.Contains("initramfs-tools", GuestPackages.Packages);
        Assert.Contains("klibc-utils", GuestPackages.Packages);
        Assert.Contains("dracut", GuestPackages.Packages);
        Assert.Equal("/c/debs", GuestPackages.Directory(new LabCache("/c")));
    }
}
