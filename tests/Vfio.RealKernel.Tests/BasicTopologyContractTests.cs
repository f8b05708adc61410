using Vfio.Host.Model;
using Vfio.Policy.Viability;

namespace Vfio.RealKernel.Tests;

/// <summary>
/// The basic topology: an edu alone, NVMe and e1000e behind root ports, and a PCIe-to-PCI bridge
/// with an e1000 and a second edu behind it. Verdicts are checked against the kernel's own
/// VFIO_GROUP_GET_STATUS after binding with driver_override.
/// </summary>
[Trait("topology", "basic")]
public class BasicTopologyContractTests
{
    private const string Edu = "1234:11e8";
    private const string E1000 = "8086:100e";

    private static (PciDevice Alone, PciDevice BehindBridge) Edus(HostState host)
    {
        var edus = Guest.FindByIds(host, Edu).Select(a => host.FindDevice(a)!).ToList();
        Assert.Equal(2, edus.Count);
        var behind = edus.Single(e => e.Parent is not null);
        var alone = edus.Single(e => e.Parent is null);
        return (alone, behind);
    }

    [Fact]
    public void Each_root_port_isolates_its_device_and_the_bridge_shares_one_group()
    {
        Guest.Require("basic");
        var host = Guest.ReadHost();
        var (alone, behind) = Edus(host);
        Assert.Equal([alone.Address], host.GroupOf(alone)!.Devices);

        var bridgeGroup = host.GroupOf(behind)!;
        var e1000 = host.FindDevice(Assert.Single(Guest.FindByIds(host, E1000)))!;
        var bridge = host.FindDevice(behind.Parent!.Value)!;
        Assert.True(bridge.IsBridge);
        Assert.Equal(bridgeGroup.Id, e1000.IommuGroup);
        Assert.Equal(bridgeGroup.Id, bridge.IommuGroup);
        Assert.Equal(3, bridgeGroup.Devices.Length);

        foreach (var ids in new[] { "1b36:0010", "8086:10d3" }) // NVMe, e1000e: alone behind their ports
        {
            var d = host.FindDevice(Assert.Single(Guest.FindByIds(host, ids)))!;
            Assert.NotNull(d.Parent);
            Assert.Equal([d.Address], host.GroupOf(d)!.Devices);
            Assert.NotNull(d.Driver);
        }
    }

    [Fact]
    public void Verdicts_agree_with_the_kernels_viability_flag()
    {
        Guest.Require("basic");
        Guest.Sh("modprobe vfio-pci");
        var before = Guest.ReadHost();
        var (alone, behind) = Edus(before);
        var e1000 = Assert.Single(Guest.FindByIds(before, E1000));
        var e1000Driver = before.FindDevice(e1000)!.Driver;
        Assert.Equal("e1000", e1000Driver);
        // An unbound edu is viable (no driver owns DMA) but not yet assigned.
        Assert.Equal(GroupStatus.Viable, ViabilityEvaluator.Evaluate(before, before.GroupOf(alone)!).Status);
        try
        {
            Guest.BindWithOverride(alone.Address, "vfio-pci");
            Guest.BindWithOverride(behind.Address, "vfio-pci");
            Assert.Equal("vfio-pci", Guest.DriverOf(alone.Address));
            Assert.Equal("vfio-pci", Guest.DriverOf(behind.Address));

            var host = Guest.ReadHost();
            var aloneVerdict = ViabilityEvaluator.Evaluate(host, host.GroupOf(host.FindDevice(alone.Address)!)!);
            Assert.Equal(GroupStatus.Assigned, aloneVerdict.Status);
            Assert.Equal($"/dev/vfio/{alone.IommuGroup}", aloneVerdict.Group.VfioNode);
            Assert.True(VfioGroupStatus.IsViable(alone.IommuGroup!.Value));

            // The e1000 is still on its kernel driver: the kernel and the model both say no.
            var shared = ViabilityEvaluator.Evaluate(host, host.GroupOf(host.FindDevice(behind.Address)!)!);
            Assert.Equal(GroupStatus.Blocked, shared.Status);
            Assert.Contains(shared.Reasons, r => r.Contains(e1000.ToString()) && r.Contains("e1000"));
            Assert.False(VfioGroupStatus.IsViable(behind.IommuGroup!.Value));

            // Take the e1000 from its driver: now both agree the group is viable.
            Guest.WriteSysfs($"/sys/bus/pci/devices/{e1000}/driver/unbind", e1000.ToString());
            host = Guest.ReadHost();
            shared = ViabilityEvaluator.Evaluate(host, host.GroupOf(host.FindDevice(behind.Address)!)!);
            Assert.Equal(GroupStatus.Assigned, shared.Status);
            Assert.True(VfioGroupStatus.IsViable(behind.IommuGroup!.Value));
        }
        finally
        {
            Guest.ReturnToKernel(alone.Address);
            Guest.ReturnToKernel(behind.Address);
            Guest.ReturnToKernel(e1000);
        }
        Assert.Equal(e1000Driver, Guest.DriverOf(e1000));
    }
}
