using Vfio.Host.Model;
using Vfio.Policy.Viability;

namespace Vfio.RealKernel.Tests;

/// <summary>The in-use topology: the model must see the mounted disk, the addressed NIC and the boot VGA.</summary>
[Trait("topology", "in-use")]
public class InUseTopologyContractTests
{
    [Fact]
    public void A_mounted_disk_an_addressed_nic_and_the_boot_vga_are_in_use()
    {
        Guest.Require("in-use");
        var host = Guest.ReadHost();

        var blocks = host.Devices.SelectMany(d => d.Holders.OfType<BlockHolder>().Select(h => (d, h))).ToList();
        var (disk, holder) = Assert.Single(blocks, x => x.h.MountPoints.Any(m => m.StartsWith("/mnt/lab-disk", StringComparison.Ordinal)));
        Assert.True(holder.InUse);
        Assert.True(ViabilityEvaluator.IsHostEssential(disk, out var why));
        Assert.Contains("mounted at /mnt/lab-disk", why);

        var nics = host.Devices.SelectMany(d => d.Holders.OfType<NetHolder>().Select(h => (d, h))).ToList();
        var (nicDevice, nic) = Assert.Single(nics, x => x.h.Addresses.Any(a => a.StartsWith("192.0.2.10/", StringComparison.Ordinal)));
        Assert.True(nic.IsUp);
        Assert.True(nic.InUse);
        Assert.Contains("192.0.2.10/24", nic.Addresses);
        Assert.True(ViabilityEvaluator.IsHostEssential(nicDevice, out _));

        var vga = Assert.Single(host.Devices, d => d.BootVga);
        Assert.True(vga.Class!.Value.IsVga);
        var verdict = ViabilityEvaluator.Evaluate(host, host.GroupOf(vga)!);
        Assert.Contains(verdict.Notes, n => n.Contains("boot VGA"));
    }
}
