using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Assignment;
using Vfio.Policy.Drivers;
using Vfio.Tests.Support;

namespace Vfio.Tests.Policy;

/// <summary>Plans over trees captured in lab guests: whole groups, fences, refusals.</summary>
public class AssignmentPlannerTests
{
    private static AssignmentPlan Plan(string fixture, AssignmentRequest request, string? extraAliases = null)
    {
        using var tree = Fixtures.Open(fixture);
        var files = new HostFiles(tree.Directory);
        var host = HostReader.Read(files);
        var alias = files.ReadAllText($"/lib/modules/{host.KernelRelease}/modules.alias") + (extraAliases ?? "");
        return AssignmentPlanner.Plan(host, ModuleAliases.Parse(alias), request);
    }

    private static AssignmentRequest Req(params string[] targets) => new() { Targets = [.. targets.Select(PciAddress.Parse)] };

    [Fact]
    public void A_mounted_disk_an_addressed_nic_and_the_boot_vga_are_refused_unless_forced()
    {
        var plan = Plan("lab-in-use-6.12", Req("01:00.0", "02:00.0", "00:01.0"));
        Assert.False(plan.CanApply);
        Assert.Contains(plan.Refusals, r => r.Address == PciAddress.Parse("01:00.0") && r.Reason.Contains("mounted at /mnt/lab-disk"));
        Assert.Contains(plan.Refusals, r => r.Address == PciAddress.Parse("02:00.0") && r.Reason.Contains("192.0.2.10/24"));
        Assert.Contains(plan.Refusals, r => r.Address == PciAddress.Parse("00:01.0") && r.Reason.Contains("boot VGA"));
        Assert.All(plan.Refusals, r => Assert.True(r.Overridable));
        var forced = Plan("lab-in-use-6.12", Req("01:00.0", "02:00.0", "00:01.0") with { Force = true });
        Assert.True(forced.CanApply);
    }

    [Fact]
    public void Vfio_pci_needs_the_type1_backend_loaded_too()
    {
        var plan = Plan("lab-basic-6.12", Req("00:02.0"));
        Assert.True(plan.CanApply);
        Assert.Equal(["vfio_pci", "vfio_iommu_type1"], plan.Modules.Select(m => m.Module));
        var step = Assert.Single(plan.Changes);
        Assert.Equal("vfio-pci", step.ToDriver);
    }

    [Fact]
    public void A_variant_alias_makes_auto_choose_the_variant_driver()
    {
        var plan = Plan("lab-basic-6.12", Req("00:02.0"), "alias vfio_pci:v00001234d000011E8sv*sd*bc*sc*i* edu_vfio_pci\n");
        var step = Assert.Single(plan.Changes);
        Assert.Equal("edu_vfio_pci", step.ToModule);
        Assert.Contains("variant driver edu_vfio_pci", step.Reason);
        Assert.Contains(plan.Modules, m => m.Module == "edu_vfio_pci");
        Assert.Contains(plan.Modules, m => m.Module == "vfio_iommu_type1");
    }

    [Fact]
    public void An_explicit_driver_overrides_the_alias_choice_and_pci_stub_claims_all()
    {
        var plan = Plan("lab-basic-6.12", Req("03:02.0") with { Driver = DriverRequest.Parse("pci-stub")! });
        Assert.All(plan.Changes, s => Assert.Equal("pci-stub", s.ToDriver));
        Assert.Equal(2, plan.Changes.Count());
    }

    [Fact]
    public void Already_assigned_groups_have_nothing_to_change()
    {
        var plan = Plan("lab-basic-vfio-6.12", Req("00:02.0"));
        Assert.True(plan.CanApply);
        Assert.Empty(plan.Changes);
        Assert.Empty(plan.Modules.Where(m => m.Module == "vfio_pci"));
    }

    [Fact]
    public void A_fence_outside_the_planned_groups_and_a_missing_device_are_refused()
    {
        var plan = Plan("lab-basic-6.12", Req("00:02.0") with { Fence = [PciAddress.Parse("03:01.0")] });
        Assert.Contains(plan.Refusals, r => !r.Overridable && r.Reason.Contains("not in the group"));
        var missing = Plan("lab-basic-6.12", Req("00:09.0"));
        Assert.Contains(missing.Refusals, r => !r.Overridable && r.Reason.Contains("No PCI device 0000:00:09.0"));
    }

    [Fact]
    public void Without_an_iommu_nothing_can_be_planned()
    {
        var plan = Plan("no-iommu-firecracker-6.18", Req("00:05.0") with { Force = true });
        Assert.False(plan.CanApply);
        Assert.Contains(plan.Refusals, r => r.Reason.Contains("no IOMMU"));
    }

    [Fact]
    public void Cli_plan_exits_3_on_refusal_and_bind_dry_run_changes_nothing()
    {
        var refused = CliRun.Run("--root", Fixtures.Archive("lab-in-use-6.12"), "plan", "01:00.0");
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("mounted at /mnt/lab-disk", refused.Out);
        Assert.Contains("--force", refused.Out);

        var json = CliRun.Run("--root", Fixtures.Archive("lab-basic-6.12"), "plan", "03:02.0", "--fence", "03:01.0", "--json");
        Assert.Equal(0, json.ExitCode);
        using var doc = json.Json();
        Assert.True(doc.RootElement.GetProperty("canApply").GetBoolean());
        var steps = doc.RootElement.GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("address").GetString()!, s => s.GetProperty("action").GetString());
        Assert.Equal("keep", steps["0000:00:05.0"]);
        Assert.Equal("fence", steps["0000:03:01.0"]);
        Assert.Equal("bind", steps["0000:03:02.0"]);

        using var tree = Fixtures.Open("lab-basic-6.12");
        var before = CliRun.Run("--root", tree.Directory, "list", "--json").Out;
        Assert.Equal(0, CliRun.Run("--root", tree.Directory, "bind", "03:02.0", "--dry-run").ExitCode);
        Assert.Equal(before, CliRun.Run("--root", tree.Directory, "list", "--json").Out);
        Assert.False(Directory.Exists(Path.Combine(tree.Directory, "var/lib/vfioctl")));
    }

    [Fact]
    public void Bad_bind_input_is_a_usage_error()
    {
        Assert.Equal(2, CliRun.Run("--root", Fixtures.Archive("lab-basic-6.12"), "plan").ExitCode);
        Assert.Equal(2, CliRun.Run("--root", Fixtures.Archive("lab-basic-6.12"), "plan", "3:2.0").ExitCode);
        Assert.Equal(2, CliRun.Run("--root", Fixtures.Archive("lab-basic-6.12"), "plan", "03:02.0", "--driver", "bad/name").ExitCode);
        Assert.Equal(2, CliRun.Run("--root", Fixtures.Archive("lab-basic-6.12"), "bind", "03:02.0").ExitCode); // a snapshot is read-only
        Assert.Equal(2, CliRun.Run("--root", Fixtures.Archive("lab-basic-6.12"), "restore").ExitCode);
    }

    [Theory]
    [InlineData("lab-in-use-6.12", new[] { "01:00.0", "02:00.0", "00:01.0", "00:02.0" })]
    [InlineData("lab-basic-6.12", new[] { "03:02.0", "00:02.0", "00:1f.2" })]
    [InlineData("lab-basic-6.1", new[] { "03:01.0", "01:00.0" })]
    [InlineData("lab-sriov-vfs-6.12", new[] { "01:00.1", "01:00.0" })]
    public void The_lean_read_the_assignment_commands_use_plans_exactly_like_the_full_read(string fixture, string[] targets)
    {
        using var tree = Fixtures.Open(fixture);
        var files = new HostFiles(tree.Directory);
        var full = HostReader.Read(files, new HostReadOptions { GroupUsers = true });
        var lean = HostReader.Read(files, new HostReadOptions { GroupUsers = true, Details = false });
        var aliases = ModuleAliases.Parse(files.ReadAllText($"/lib/modules/{full.KernelRelease}/modules.alias")!);
        foreach (var t in targets)
        {
            var a = AssignmentPlanner.Plan(full, aliases, Req(t));
            // bind's read: lean, and holders only on the target's group.
            var scoped = HostReader.Read(files, new HostReadOptions { GroupUsers = true, Details = false, HoldersOnlyFor = [PciAddress.Parse(t)] });
            foreach (var b in new[] { AssignmentPlanner.Plan(lean, aliases, Req(t)), AssignmentPlanner.Plan(scoped, aliases, Req(t)) })
            {
                Assert.Equal(a.Steps, b.Steps);
                Assert.Equal(a.Refusals, b.Refusals);
                Assert.Equal(a.Modules.Select(m => m.Module), b.Modules.Select(m => m.Module));
            }
        }
        // The in-use host's refusals come from holders (mounts, swap, an addressed interface): the
        // scoped read must still see them on the devices it covers, and nothing beyond.
        if (fixture == "lab-in-use-6.12")
        {
            var scoped = HostReader.Read(files, new HostReadOptions { Details = false, HoldersOnlyFor = [PciAddress.Parse(targets[0])] });
            var withHolders = full.Devices.Where(d => d.Holders.Length > 0).Select(d => d.Address).ToList();
            Assert.True(withHolders.Count >= 2, "the in-use fixture should have holders on several devices");
            var group = full.FindDevice(PciAddress.Parse(targets[0]))!.IommuGroup;
            Assert.NotEmpty(scoped.FindDevice(PciAddress.Parse(targets[0]))!.Holders); // nvme0n1, mounted
            foreach (var d in scoped.Devices)
            {
                var expected = d.IommuGroup == group ? full.FindDevice(d.Address)!.Holders : [];
                Assert.Equal(expected.Select(h => h.Name), d.Holders.Select(h => h.Name));
            }
        }
        Assert.All(lean.Devices, d => Assert.Null(d.Revision));
    }
}
