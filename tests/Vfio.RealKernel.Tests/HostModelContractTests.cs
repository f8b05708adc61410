using Vfio.Host.Model;
using Vfio.Policy.Viability;

namespace Vfio.RealKernel.Tests;

/// <summary>
/// The host model against the real kernel, in every topology: devices, ids, drivers and groups
/// must match what lspci (a separate reader, libpci) and the group directories say.
/// </summary>
[Trait("topology", "basic"), Trait("topology", "sriov"), Trait("topology", "in-use")]
public class HostModelContractTests
{
    private static readonly string[] All = ["basic", "sriov", "in-use"];

    private sealed record LspciEntry(string Slot, string Class, string Vendor, string Device, string? Driver, string? Group);

    private static List<LspciEntry> Lspci()
    {
        var text = Guest.Sh("lspci -D -n -vmm -k");
        var list = new List<LspciEntry>();
        foreach (var block in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var f = block.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(":\t", 2)).Where(p => p.Length == 2)
                .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1].Trim());
            if (!f.TryGetValue("Slot", out var slot)) continue;
            list.Add(new LspciEntry(slot, f["Class"], f["Vendor"], f["Device"], f.GetValueOrDefault("Driver"), f.GetValueOrDefault("IOMMUGroup")));
        }
        return list;
    }

    [Fact]
    public void Devices_ids_classes_and_drivers_match_lspci()
    {
        Guest.Require(All);
        var host = Guest.ReadHost();
        var lspci = Lspci();
        Assert.NotEmpty(lspci);
        Assert.Equal(lspci.Select(e => e.Slot).Order(), host.Devices.Select(d => d.Address.ToString()).Order());
        foreach (var e in lspci)
        {
            var d = host.FindDevice(PciAddress.Parse(e.Slot))!;
            Assert.Equal(e.Vendor, $"{d.VendorId:x4}");
            Assert.Equal(e.Device, $"{d.DeviceId:x4}");
            Assert.Equal(e.Class, $"{d.Class!.Value.Value >> 8:x4}");
            Assert.Equal(e.Driver, d.Driver);
            Assert.Empty(d.Warnings);
            if (e.Group is not null) Assert.Equal(int.Parse(e.Group), d.IommuGroup);
        }
    }

    [Fact]
    public void Groups_and_members_match_the_kernels_group_directories()
    {
        Guest.Require(All);
        var host = Guest.ReadHost();
        Assert.True(host.IommuEnabled);
        Assert.Null(IommuDiagnosis.Explain(host));
        // The shell's view of /sys/kernel/iommu_groups/*/devices/*.
        var expected = Guest.Sh("cd /sys/kernel/iommu_groups && for g in *; do for d in $g/devices/*; do echo \"$g ${d##*/}\"; done; done")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().ToList();
        var actual = host.Groups.SelectMany(g => g.Devices.Select(a => $"{g.Id} {a}")).Order().ToList();
        Assert.Equal(expected, actual);
        foreach (var d in host.Devices) Assert.NotNull(d.IommuGroup);
        Assert.All(host.Groups, g => Assert.False(string.IsNullOrEmpty(g.Type)));
    }

    [Fact]
    public void The_q35_ICH9_functions_share_one_blocked_group()
    {
        Guest.Require(All);
        var host = Guest.ReadHost();
        var lpc = host.FindDevice(PciAddress.Parse("00:1f.0"))!;
        var sata = host.FindDevice(PciAddress.Parse("00:1f.2"))!;
        var smbus = host.FindDevice(PciAddress.Parse("00:1f.3"))!;
        Assert.Equal(lpc.IommuGroup, sata.IommuGroup);
        Assert.Equal(lpc.IommuGroup, smbus.IommuGroup);
        var verdict = ViabilityEvaluator.Evaluate(host, host.GroupOf(lpc)!);
        Assert.Equal(GroupStatus.Blocked, verdict.Status);
        Assert.Contains(verdict.Reasons, r => r.Contains("0000:00:1f.2") && r.Contains(sata.Driver!));
        // The LPC bridge is host-essential: the reason says so instead of suggesting a bind.
        if (lpc.Driver is not null)
            Assert.Contains(verdict.Reasons, r => r.Contains("0000:00:1f.0") && r.Contains("ISA/LPC"));
    }

    [Fact]
    public void Every_kernel_version_here_uses_the_driver_managed_dma_rules()
    {
        Guest.Require(All);
        var host = Guest.ReadHost();
        Assert.Equal(Guest.Kernel, host.Kernel?.ToString());
        Assert.Equal(ViabilityRules.DriverManagedDma, ViabilityRulesFor.Kernel(host.Kernel));
    }
}
