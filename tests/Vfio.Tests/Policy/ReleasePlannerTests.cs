using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Assignment;
using Vfio.Tests.Support;

namespace Vfio.Tests.Policy;

/// <summary>Restore and unbind plans over captured trees, with userspace holders added to the host model.</summary>
public class ReleasePlannerTests
{
    private static readonly ProcessRef Qemu = new(4711, "qemu-system-x86");

    /// <summary>The host of a fixture, with <see cref="Qemu"/> holding the given groups open.</summary>
    private static HostState Host(string fixture, params int[] heldGroups)
    {
        using var tree = Fixtures.Open(fixture);
        var host = HostReader.Read(new HostFiles(tree.Directory), new HostReadOptions { GroupUsers = true });
        var users = ImmutableDictionary<int, ImmutableArray<ProcessRef>>.Empty;
        foreach (var g in heldGroups) users = users.Add(g, [Qemu]);
        return host with { GroupUsers = users };
    }

    private static ReleaseTarget Journaled(string address, bool sriovChanged = false) => new(PciAddress.Parse(address), sriovChanged);

    [Fact]
    public void Restoring_a_group_open_in_userspace_is_refused_once_per_group_naming_the_holder()
    {
        var host = Host("lab-basic-6.12", 4);
        var plan = ReleasePlanner.PlanRestore(host, [Journaled("03:01.0"), Journaled("03:02.0"), Journaled("00:02.0")], all: true);
        Assert.False(plan.CanApply);
        var refusal = Assert.Single(plan.Refusals);
        Assert.Equal(PciAddress.Parse("03:01.0"), refusal.Address);
        Assert.False(refusal.Overridable);
        Assert.Equal("group 4 is open in userspace (pid 4711 (qemu-system-x86)): close it first; restoring now would block or fail.", refusal.Reason);
        Assert.Equal(3, plan.Devices.Length);

        Assert.True(ReleasePlanner.PlanRestore(host, [Journaled("00:02.0")], all: false).CanApply);
    }

    [Fact]
    public void A_device_held_through_its_vfio_device_fd_alone_is_neither_restored_nor_unbound_and_the_holder_is_named()
    {
        // The iommufd path: the VMM holds /dev/vfio/devices/vfioN and no group node (7.3 in the lab).
        var edu = PciAddress.Parse("00:02.0");
        var host = Host("lab-basic-vfio-7.3") with { VfioDeviceFds = [new VfioDeviceFd(Qemu, edu), new VfioDeviceFd(Qemu, edu)] };
        var restore = ReleasePlanner.PlanRestore(host, [Journaled("00:02.0")], all: false);
        var refusal = Assert.Single(restore.Refusals);
        Assert.False(refusal.Overridable);
        Assert.Equal("0000:00:02.0 is open in userspace through its VFIO device (pid 4711 (qemu-system-x86)): restoring now would wait until it is closed; stop the VMM/program (pid 4711) first.", refusal.Reason);
        var unbind = ReleasePlanner.PlanUnbind(host, new UnbindRequest { Targets = [edu], Force = true });
        Assert.False(unbind.CanApply); // --force does not override it
        Assert.Contains("pid 4711 (qemu-system-x86)", Assert.Single(unbind.Refusals).Reason);

        // With the group node open too (a VMM on the legacy container), one refusal says it: the group's.
        var both = Host("lab-basic-vfio-7.3", 1) with { VfioDeviceFds = [new VfioDeviceFd(Qemu, edu)] };
        Assert.StartsWith("group 1 is open in userspace", Assert.Single(ReleasePlanner.PlanRestore(both, [Journaled("00:02.0")], all: false).Refusals).Reason);
        Assert.StartsWith("0000:00:02.0 is in group 1, open in userspace", Assert.Single(ReleasePlanner.PlanUnbind(both, new UnbindRequest { Targets = [edu] }).Refusals).Reason);

        // A device fd whose device the kernel does not name (6.1, 6.12) refuses nothing by itself.
        var unnamed = Host("lab-basic-vfio-7.3") with { VfioDeviceFds = [new VfioDeviceFd(Qemu, null)] };
        Assert.True(ReleasePlanner.PlanRestore(unnamed, [Journaled("00:02.0")], all: false).CanApply);
    }

    [Fact]
    public void Restoring_a_pf_whose_sriov_vfioctl_changed_is_refused_while_one_of_its_vfs_is_open()
    {
        var host = Host("lab-sriov-vfs-6.12", 9); // 01:00.2, a VF of 01:00.0 on vfio-pci
        var plan = ReleasePlanner.PlanRestore(host, [Journaled("01:00.0", sriovChanged: true)], all: false);
        var refusal = Assert.Single(plan.Refusals);
        Assert.Equal(PciAddress.Parse("01:00.0"), refusal.Address);
        Assert.False(refusal.Overridable);
        Assert.StartsWith("VF 0000:01:00.2 is open in userspace (/dev/vfio/9 held by pid 4711 (qemu-system-x86))", refusal.Reason);
        Assert.EndsWith("restoring 0000:01:00.0 removes its VFs, which would wait until that process closes it. Stop it first.", refusal.Reason);

        // A PF vfioctl only rebound keeps its VFs on restore; the other PF's VFs are nobody's concern here.
        Assert.True(ReleasePlanner.PlanRestore(host, [Journaled("01:00.0")], all: false).CanApply);
        Assert.True(ReleasePlanner.PlanRestore(host, [Journaled("02:00.0", sriovChanged: true)], all: false).CanApply);
    }

    [Fact]
    public void Unbinding_a_host_essential_device_is_refused_unless_forced()
    {
        var host = Host("lab-basic-6.12");
        var plan = ReleasePlanner.PlanUnbind(host, new UnbindRequest { Targets = [PciAddress.Parse("00:00.0")] });
        var refusal = Assert.Single(plan.Refusals);
        Assert.True(refusal.Overridable);
        Assert.Equal("0000:00:00.0 is a host bridge.", refusal.Reason);
        Assert.False(plan.CanApply);
        var forced = ReleasePlanner.PlanUnbind(host, new UnbindRequest { Targets = [PciAddress.Parse("00:00.0")], Force = true });
        Assert.True(forced.CanApply);
        Assert.Single(forced.Refusals); // still listed, as overridden

        Assert.True(ReleasePlanner.PlanUnbind(host, new UnbindRequest { Targets = [PciAddress.Parse("03:01.0")] }).CanApply);
        var missing = ReleasePlanner.PlanUnbind(host, new UnbindRequest { Targets = [PciAddress.Parse("05:00.0")] });
        Assert.Equal([PciAddress.Parse("05:00.0")], missing.Missing);
        Assert.False(missing.CanApply);
    }

    [Fact]
    public void Unbinding_in_a_group_open_in_userspace_or_a_pf_with_an_open_vf_is_refused()
    {
        var basic = Host("lab-basic-6.12", 4);
        var held = ReleasePlanner.PlanUnbind(basic, new UnbindRequest { Targets = [PciAddress.Parse("03:01.0")], Force = true });
        Assert.False(held.CanApply);
        Assert.Equal("0000:03:01.0 is in group 4, open in userspace (pid 4711 (qemu-system-x86)): unbinding would block until it is closed.",
            Assert.Single(held.Refusals).Reason);

        var sriov = Host("lab-sriov-vfs-6.12", 9);
        var pf = ReleasePlanner.PlanUnbind(sriov, new UnbindRequest { Targets = [PciAddress.Parse("01:00.0")] });
        var refusal = Assert.Single(pf.Refusals);
        Assert.StartsWith("VF 0000:01:00.2 is open in userspace", refusal.Reason);
        Assert.Contains("unbinding 0000:01:00.0 from nvme may remove its VFs", refusal.Reason);
        Assert.True(refusal.Overridable); // nvme: not known to remove them; vfio-pci does, and that is not overridable
        Assert.False(pf.CanApply);
        Assert.True(ReleasePlanner.PlanUnbind(sriov, new UnbindRequest { Targets = [PciAddress.Parse("02:00.0")] }).CanApply);
    }
}
