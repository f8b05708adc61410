using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Drivers;
using Vfio.Policy.Sriov;
using Vfio.Tests.Support;

namespace Vfio.Tests.Policy;

/// <summary>SR-IOV plans over trees captured in sriov lab guests, and the open-VF check over made-up holders.</summary>
public class SriovPlannerTests
{
    private static readonly PciAddress Pf = PciAddress.Parse("0000:01:00.0");

    private static (HostState Host, ModuleAliases Aliases, SriovFacts Facts) Read(string fixture)
    {
        using var tree = Fixtures.Open(fixture);
        var files = new HostFiles(tree.Directory);
        var host = HostReader.Read(files);
        var aliases = ModuleAliases.Parse(files.ReadAllText($"/lib/modules/{host.KernelRelease}/modules.alias") ?? "");
        return (host, aliases, SriovFactsReader.Read(files, host.FindDevice(Pf)!));
    }

    private static SriovPlan Enable(string fixture, int vfs, VfBinding bind = VfBinding.Auto, bool pfToVfio = false, bool? autoprobe = null)
    {
        var (host, aliases, facts) = Read(fixture);
        return SriovPlanner.PlanEnable(host, aliases, facts, new SriovRequest { Pf = Pf, NumVfs = vfs, Bind = bind, PfToVfioPci = pfToVfio, Autoprobe = autoprobe });
    }

    private static IEnumerable<SriovAction> Actions(SriovPlan p) => p.Steps.Select(s => s.Action);

    [Fact]
    public void Binding_new_vfs_to_vfio_pci_turns_autoprobe_off_only_while_they_appear()
    {
        var plan = Enable("lab-sriov-6.12", 4, VfBinding.VfioPci);
        Assert.True(plan.CanApply);
        Assert.Equal([SriovAction.SetAutoprobe, SriovAction.CreateVfs, SriovAction.BindVfs, SriovAction.ResetAutoprobe], Actions(plan));
        Assert.Equal([false, null, null, true], plan.Steps.Select(s => s.Autoprobe));
        Assert.Equal((0, 4, 64), (plan.CurrentVfs, plan.TargetVfs, plan.TotalVfs));
    }

    [Fact]
    public void Autoprobe_asked_for_is_set_once_and_stays()
    {
        var off = Enable("lab-sriov-6.12", 2, autoprobe: false);
        Assert.Equal([SriovAction.SetAutoprobe, SriovAction.CreateVfs], Actions(off));
        Assert.False(off.Steps[0].Autoprobe);
        var none = Enable("lab-sriov-6.12", 2, VfBinding.None, autoprobe: true);
        Assert.Equal([SriovAction.SetAutoprobe, SriovAction.CreateVfs, SriovAction.ResetAutoprobe], Actions(none));
        Assert.Contains("--autoprobe on", none.Steps[2].Reason);
    }

    [Fact]
    public void Driving_the_pf_from_userspace_loads_vfio_pci_with_sriov_then_binds_the_pf()
    {
        var plan = Enable("lab-sriov-6.12", 2, pfToVfio: true);
        Assert.True(plan.CanApply);
        Assert.Equal([SriovAction.EnableSriovInVfioPci, SriovAction.BindPf, SriovAction.CreateVfs], Actions(plan));
        Assert.Contains("vfio-pci is loaded with enable_sriov=1", plan.Steps[0].Reason);
        var move = Assert.Single(plan.PfAssignment!.Changes);
        Assert.Equal((Pf, "nvme", "vfio-pci"), (move.Address, move.FromDriver, move.ToDriver));
        Assert.Contains(plan.Notes, n => n.Contains("sriov token 0000:01:00.0 --generate"));
    }

    [Fact]
    public void A_pf_with_vfs_loses_them_before_vfio_pci_takes_it()
    {
        // lab-sriov-vfs-6.12: 4 VFs under nvme, one of them on vfio-pci.
        var plan = Enable("lab-sriov-vfs-6.12", 4, pfToVfio: true);
        Assert.Equal([SriovAction.RemoveVfs, SriovAction.BindPf, SriovAction.CreateVfs], Actions(plan).Where(a => a != SriovAction.EnableSriovInVfioPci));
        Assert.Contains("EBUSY", plan.Steps[0].Reason);
    }

    [Fact]
    public void Under_a_vfio_pci_pf_bind_none_cannot_hold_and_the_same_count_is_no_change()
    {
        // lab-sriov-vfio-pf-6.12: the PF on vfio-pci (enable_sriov=Y) with 2 VFs it captured.
        var none = Enable("lab-sriov-vfio-pf-6.12", 2, VfBinding.None);
        Assert.False(none.CanApply);
        Assert.Contains("--bind none cannot hold", Assert.Single(none.Refusals).Reason);
        var same = Enable("lab-sriov-vfio-pf-6.12", 2);
        Assert.True(same.CanApply);
        Assert.Empty(same.Steps);
        var more = Enable("lab-sriov-vfio-pf-6.12", 3);
        Assert.Equal([SriovAction.RemoveVfs, SriovAction.CreateVfs], Actions(more));
        Assert.Contains("2 → 0 → 3", more.Steps[0].Reason);
    }

    [Fact]
    public void Vfio_pci_with_enable_sriov_off_cannot_remove_vfs_either_and_the_fix_is_named()
    {
        var (host, _, facts) = Read("lab-sriov-vfio-pf-6.12");
        facts = facts with { VfioPciEnableSriov = false };
        var plan = SriovPlanner.PlanDisable(host, facts, Pf, force: true);
        Assert.False(plan.CanApply);
        var reason = Assert.Single(plan.Refusals).Reason;
        Assert.Contains("ENOENT", reason);
        Assert.Contains("vfioctl restore 0000:01:00.0", reason);
        Assert.DoesNotContain("--pf-driver", reason);
    }

    [Fact]
    public void A_vf_is_not_a_pf_and_a_count_above_the_total_is_refused()
    {
        var (host, aliases, facts) = Read("lab-sriov-vfs-6.12");
        var vf = SriovPlanner.PlanEnable(host, aliases, facts, new SriovRequest { Pf = PciAddress.Parse("01:00.1"), NumVfs = 1 });
        Assert.Contains("is a VF (of 0000:01:00.0)", Assert.Single(vf.Refusals).Reason);
        var tooMany = Enable("lab-sriov-6.12", 65);
        Assert.Contains("at most 64 VFs", Assert.Single(tooMany.Refusals).Reason);
        var disableVf = SriovPlanner.PlanDisable(host, facts, PciAddress.Parse("01:00.1"), force: false);
        Assert.False(disableVf.CanApply);
    }

    [Fact]
    public void A_vf_held_through_its_group_node_blocks_removal_naming_the_process()
    {
        var (host, _, facts) = Read("lab-sriov-vfs-6.12");
        int group = host.FindDevice(PciAddress.Parse("01:00.2"))!.IommuGroup!.Value;
        host = host with { GroupUsers = ImmutableDictionary<int, ImmutableArray<ProcessRef>>.Empty.Add(group, [new ProcessRef(777, "qemu-system-x86")]) };
        var plan = SriovPlanner.PlanDisable(host, facts, Pf, force: true);
        Assert.False(plan.CanApply); // --force does not override a holder: the write would hang
        var open = Assert.Single(plan.OpenVfs);
        Assert.True(open.Certain);
        Assert.Contains($"/dev/vfio/{group} held by pid 777 (qemu-system-x86)", Assert.Single(plan.Refusals).Reason);
    }

    [Fact]
    public void A_device_fd_the_kernel_names_counts_as_a_holder()
    {
        var (host, _, facts) = Read("lab-sriov-vfs-6.12");
        host = host with { VfioDeviceFds = [new VfioDeviceFd(new ProcessRef(900, "dpdk"), PciAddress.Parse("01:00.3"))] };
        var plan = SriovPlanner.PlanDisable(host, facts, Pf, force: false);
        Assert.Contains("VF 0000:01:00.3 is open in userspace (a device fd held by pid 900 (dpdk))", Assert.Single(plan.Refusals).Reason);
    }

    [Fact]
    public void A_vf_vfio_pci_holds_a_runtime_pm_reference_for_appears_open_and_force_may_override_it()
    {
        var (host, _, facts) = Read("lab-sriov-vfs-6.12");
        var vf = PciAddress.Parse("01:00.2"); // on vfio-pci in this capture
        facts = facts with
        {
            VfioPciDisableIdleD3 = false,
            VfPower = facts.VfPower.SetItem(vf, new RuntimePm { Status = "active", Usage = 1, Control = "auto" }),
        };
        host = host with { VfioDeviceFds = [new VfioDeviceFd(new ProcessRef(42, "app"), null)] };
        var plan = SriovPlanner.PlanDisable(host, facts, Pf, force: false);
        var refusal = Assert.Single(plan.Refusals);
        Assert.True(refusal.Overridable);
        Assert.Contains("appears open", refusal.Reason);
        Assert.Contains("pid 42 (app)", refusal.Reason);
        Assert.True(SriovPlanner.PlanDisable(host, facts, Pf, force: true).CanApply);
        // An idle VF (usage 0) is not open.
        facts = facts with { VfPower = facts.VfPower.SetItem(vf, new RuntimePm { Status = "suspended", Usage = 0, Control = "auto" }) };
        Assert.True(SriovPlanner.PlanDisable(host, facts, Pf, force: false).CanApply);
    }

    [Fact]
    public void Fdinfo_names_the_device_from_617_on()
    {
        Assert.Equal(PciAddress.Parse("0000:e8:00.0"), Vfio.Host.Reading.ProcessScanner.DeviceOfFdInfo(
            "pos:\t0\nflags:\t02000002\nmnt_id:\t17\nino:\t1037\nvfio-device-syspath: /sys/devices/pci0000:e0/0000:e0:01.1/0000:e1:00.0/0000:e2:05.0/0000:e8:00.0\n"));
        Assert.Null(Vfio.Host.Reading.ProcessScanner.DeviceOfFdInfo("pos:\t0\nflags:\t02000002\nmnt_id:\t17\nino:\t1037\n")); // 6.1, 6.12
    }
}
