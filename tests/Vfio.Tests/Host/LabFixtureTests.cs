using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Viability;
using Vfio.Tests.Support;

namespace Vfio.Tests.Host;

/// <summary>
/// The host model and verdicts over trees captured in lab guests (scripts/capture-fixtures):
/// Debian 6.12 and 6.1 on q35 with an emulated Intel IOMMU. Addresses are in docs/lab.md.
/// </summary>
public class LabFixtureTests
{
    private static HostState Read(string fixture)
    {
        using var tree = Fixtures.Open(fixture);
        return HostReader.Read(new HostFiles(tree.Directory));
    }

    private static GroupVerdict VerdictOf(HostState host, string address) =>
        ViabilityEvaluator.Evaluate(host, host.GroupOf(host.FindDevice(PciAddress.Parse(address))!)!);

    [Theory]
    [InlineData("lab-basic-6.12", "6.12")]
    [InlineData("lab-basic-6.1", "6.1")]
    public void The_q35_multifunction_group_is_blocked_by_its_host_drivers(string fixture, string kernel)
    {
        var host = Read(fixture);
        Assert.Equal(kernel, host.Kernel.ToString());
        var v = VerdictOf(host, "00:1f.2");
        Assert.Equal([PciAddress.Parse("00:1f.0"), PciAddress.Parse("00:1f.2"), PciAddress.Parse("00:1f.3")], v.Group.Devices);
        Assert.Equal(GroupStatus.Blocked, v.Status);
        Assert.Contains(v.Blockers, b => b.Address == PciAddress.Parse("00:1f.2") && b.Driver == "ahci");
        Assert.Contains(v.Blockers, b => b.Address == PciAddress.Parse("00:1f.3") && b.Driver == "i801_smbus");
        // The LPC bridge is host-essential: its reason says so rather than proposing a bind.
        Assert.Contains(v.Reasons, r => r.StartsWith("0000:00:1f.0", StringComparison.Ordinal) && r.Contains("ISA/LPC"));
    }

    [Fact]
    public void The_bridge_group_holds_the_bridge_and_both_devices_behind_it()
    {
        var host = Read("lab-basic-6.12");
        var v = VerdictOf(host, "03:02.0");
        Assert.Equal([PciAddress.Parse("00:05.0"), PciAddress.Parse("03:01.0"), PciAddress.Parse("03:02.0")], v.Group.Devices);
        Assert.Equal(GroupStatus.Blocked, v.Status);
        var blocker = Assert.Single(v.Blockers);
        Assert.Equal(PciAddress.Parse("03:01.0"), blocker.Address);
        Assert.Equal("e1000", blocker.Driver);
        Assert.Contains("--fence 0000:03:01.0", blocker.Reason);
        Assert.Equal(PciAddress.Parse("00:05.0"), host.FindDevice(PciAddress.Parse("03:02.0"))!.Parent);
        Assert.True(host.FindDevice(PciAddress.Parse("00:05.0"))!.IsBridge);
        Assert.Equal("DMA", v.Group.Type);
    }

    [Fact]
    public void An_unbound_edu_is_viable_and_devices_behind_root_ports_are_alone()
    {
        var host = Read("lab-basic-6.12");
        var edu = VerdictOf(host, "00:02.0");
        Assert.Equal(GroupStatus.Viable, edu.Status);
        Assert.Null(edu.Group.VfioNode);
        var nvme = VerdictOf(host, "01:00.0");
        Assert.Equal([PciAddress.Parse("01:00.0")], nvme.Group.Devices);
        Assert.Equal(GroupStatus.Blocked, nvme.Status);
        Assert.Equal(PciAddress.Parse("00:03.0"), host.FindDevice(PciAddress.Parse("01:00.0"))!.Parent);
        Assert.Equal("pcieport", host.FindDevice(PciAddress.Parse("00:03.0"))!.Driver);
        Assert.Equal(GroupStatus.Viable, VerdictOf(host, "00:03.0").Status); // a port on pcieport does not block
    }

    [Fact]
    public void Devices_on_vfio_pci_and_a_fenced_member_make_groups_assigned()
    {
        var host = Read("lab-basic-vfio-6.12");
        var edu = VerdictOf(host, "00:02.0");
        Assert.Equal(GroupStatus.Assigned, edu.Status);
        Assert.Equal($"/dev/vfio/{edu.Group.Id}", edu.Group.VfioNode);
        Assert.Equal("vfio-pci", host.FindDevice(PciAddress.Parse("00:02.0"))!.DriverOverride);

        var shared = VerdictOf(host, "03:02.0");
        Assert.Equal(GroupStatus.Assigned, shared.Status);
        Assert.Empty(shared.Reasons);
        Assert.Equal("pci-stub", host.FindDevice(PciAddress.Parse("03:01.0"))!.Driver);
    }

    [Fact]
    public void A_pf_with_vfs_links_both_ways_and_each_vf_has_its_own_group()
    {
        var host = Read("lab-sriov-vfs-6.12");
        var pf = host.FindDevice(PciAddress.Parse("01:00.0"))!;
        Assert.NotNull(pf.Sriov);
        Assert.Equal(64, pf.Sriov.TotalVfs);
        Assert.Equal(4, pf.Sriov.NumVfs);
        Assert.Equal(1, pf.Sriov.Offset);
        Assert.Equal(1, pf.Sriov.Stride);
        Assert.True(pf.Sriov.DriversAutoprobe);
        Assert.Equal(["0000:01:00.1", "0000:01:00.2", "0000:01:00.3", "0000:01:00.4"], pf.Sriov.VirtualFunctions.Select(a => a.ToString()));
        var groups = new HashSet<int>();
        foreach (var a in pf.Sriov.VirtualFunctions)
        {
            var vf = host.FindDevice(a)!;
            Assert.Equal(pf.Address, vf.PhysFn);
            Assert.Null(vf.Sriov);
            Assert.Equal(pf.Sriov.VfDeviceId, vf.DeviceId);
            Assert.True(groups.Add(vf.IommuGroup!.Value));
        }
        Assert.Equal(GroupStatus.Assigned, VerdictOf(host, "01:00.2").Status);
    }

    [Fact]
    public void In_use_holders_and_the_boot_vga_are_seen()
    {
        var host = Read("lab-in-use-6.12");
        var disk = host.FindDevice(PciAddress.Parse("01:00.0"))!;
        var block = Assert.IsType<BlockHolder>(Assert.Single(disk.Holders));
        Assert.Equal("nvme0n1", block.Name);
        Assert.Equal(["/mnt/lab-disk"], block.MountPoints);
        var nic = Assert.IsType<NetHolder>(Assert.Single(host.FindDevice(PciAddress.Parse("02:00.0"))!.Holders));
        Assert.True(nic.InUse);
        Assert.Contains("192.0.2.10/24", nic.Addresses);
        var vga = host.FindDevice(PciAddress.Parse("00:01.0"))!;
        Assert.True(vga.BootVga);
        Assert.Contains(vga.Holders, h => h is DrmHolder);
        var v = VerdictOf(host, "00:01.0");
        Assert.Contains(v.Notes, n => n.Contains("boot VGA"));
        Assert.Contains(v.Reasons, r => r.Contains("boot VGA"));
    }

    [Fact]
    public void Before_5_19_a_host_driver_on_a_bridge_does_not_block_but_it_does_after()
    {
        using var tree = Fixtures.Open("lab-basic-6.12");
        // Pretend the conventional bridge is claimed by a hotplug driver (shpchp can bind it).
        var bridge = Path.Combine(tree.Directory, "sys/bus/pci/devices/0000:00:05.0");
        File.CreateSymbolicLink(Path.Combine(bridge, "driver"), "../../../bus/pci/drivers/shpchp");
        File.Delete(Path.Combine(bridge, "uevent"));
        var fenced = Path.Combine(tree.Directory, "sys/bus/pci/devices/0000:03:01.0/driver");
        File.Delete(fenced);
        File.Delete(Path.Combine(tree.Directory, "sys/bus/pci/devices/0000:03:01.0/uevent"));

        File.WriteAllText(Path.Combine(tree.Directory, "proc/sys/kernel/osrelease"), "6.12.117+deb12-amd64\n");
        var modern = HostReader.Read(new HostFiles(tree.Directory));
        Assert.Equal(GroupStatus.Blocked, VerdictOf(modern, "00:05.0").Status);
        Assert.Equal("shpchp", Assert.Single(VerdictOf(modern, "00:05.0").Blockers).Driver);

        File.WriteAllText(Path.Combine(tree.Directory, "proc/sys/kernel/osrelease"), "5.10.0-28-amd64\n");
        var legacy = HostReader.Read(new HostFiles(tree.Directory));
        var v = VerdictOf(legacy, "00:05.0");
        Assert.Equal(ViabilityRules.Legacy, v.Rules);
        Assert.Equal(GroupStatus.Viable, v.Status);
    }
}
