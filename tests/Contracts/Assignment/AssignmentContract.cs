using Vfio.Policy.Assignment;
using Vfio.Policy.Viability;

namespace Vfio.Contracts.Assignment;

/// <summary>
/// Assignment against a kernel in the lab's basic topology (docs/lab.md): edu 00:02.0 alone in
/// group 1; bridge group 4 = bridge 00:05.0 + e1000 03:01.0 + edu 03:02.0. The simulated kernel
/// and the real one must both pass every test here.
/// </summary>
public abstract class AssignmentContract
{
    protected abstract IKernelUnderTestFactory Factory { get; }

    /// <summary>Skips when the kernel is not available (the live one outside a lab guest).</summary>
    protected virtual void RequireKernel() { }

    private const string Edu = "0000:00:02.0", Bridge = "0000:00:05.0", E1000 = "0000:03:01.0", Edu2 = "0000:03:02.0";

    private static AssignmentRequest Request(string target, string? fence = null) => new()
    {
        Targets = [PciAddress.Parse(target)],
        Fence = fence is null ? [] : [PciAddress.Parse(fence)],
    };

    [Fact]
    public void Binding_the_edu_device_gives_it_to_vfio_pci_and_its_group_node_appears()
    {
        RequireKernel();
        using var k = Factory.Create();
        var (plan, result) = AssignmentFlow.Bind(k.Kernel, k.StateDirectory, Request(Edu));
        Assert.True(plan.CanApply, string.Join("; ", plan.Refusals.Select(r => r.Reason)));
        Assert.True(result!.Succeeded, result.Error);
        var host = AssignmentFlow.Read(k.Kernel);
        var edu = host.FindDevice(PciAddress.Parse(Edu))!;
        Assert.Equal("vfio-pci", edu.Driver);
        Assert.Equal("vfio-pci", edu.DriverOverride);
        var group = host.GroupOf(edu)!;
        Assert.Equal($"/dev/vfio/{group.Id}", group.VfioNode);
        Assert.True(k.Kernel.Files.Exists($"/dev/vfio/{group.Id}"));
        Assert.Equal(GroupStatus.Assigned, ViabilityEvaluator.Evaluate(host, group).Status);
        Assert.Contains(host.Modules, m => m == "vfio_iommu_type1");

        var restored = AssignmentFlow.Restorer(k.Kernel, k.StateDirectory).Restore(null);
        Assert.True(restored.Succeeded, restored.Error);
        host = AssignmentFlow.Read(k.Kernel);
        edu = host.FindDevice(PciAddress.Parse(Edu))!;
        Assert.Null(edu.Driver);
        Assert.Null(edu.DriverOverride);
        Assert.Null(host.GroupOf(edu)!.VfioNode);
    }

    [Fact]
    public void Binding_one_device_of_the_bridge_group_moves_every_endpoint_and_keeps_the_bridge()
    {
        RequireKernel();
        using var k = Factory.Create();
        var (plan, result) = AssignmentFlow.Bind(k.Kernel, k.StateDirectory, Request(Edu2));
        Assert.Equal([4], plan.Groups);
        Assert.Equal(StepAction.Keep, plan.Steps.Single(s => s.Address.ToString() == Bridge).Action);
        Assert.Equal(StepAction.Move, plan.Steps.Single(s => s.Address.ToString() == E1000).Action);
        Assert.True(result!.Succeeded, result.Error);
        var host = AssignmentFlow.Read(k.Kernel);
        Assert.Equal("vfio-pci", host.FindDevice(PciAddress.Parse(E1000))!.Driver);
        Assert.Equal("vfio-pci", host.FindDevice(PciAddress.Parse(Edu2))!.Driver);
        Assert.Null(host.FindDevice(PciAddress.Parse(Bridge))!.Driver);
        Assert.Equal(GroupStatus.Assigned, ViabilityEvaluator.Evaluate(host, host.FindGroup(4)!).Status);

        Assert.True(AssignmentFlow.Restorer(k.Kernel, k.StateDirectory).Restore(null).Succeeded);
        Assert.Equal("e1000", AssignmentFlow.DriverOf(k.Kernel, E1000));
        Assert.Null(AssignmentFlow.DriverOf(k.Kernel, Edu2));
    }

    [Fact]
    public void A_fenced_member_goes_to_pci_stub_and_the_group_stays_viable()
    {
        RequireKernel();
        using var k = Factory.Create();
        var (plan, result) = AssignmentFlow.Bind(k.Kernel, k.StateDirectory, Request(Edu2, fence: E1000));
        Assert.Equal(StepAction.Fence, plan.Steps.Single(s => s.Address.ToString() == E1000).Action);
        Assert.True(result!.Succeeded, result.Error);
        var host = AssignmentFlow.Read(k.Kernel);
        Assert.Equal("pci-stub", host.FindDevice(PciAddress.Parse(E1000))!.Driver);
        Assert.Equal("vfio-pci", host.FindDevice(PciAddress.Parse(Edu2))!.Driver);
        var verdict = ViabilityEvaluator.Evaluate(host, host.FindGroup(4)!);
        Assert.True(verdict.Viable);
        Assert.Equal(GroupStatus.Assigned, verdict.Status);

        var restored = AssignmentFlow.Restorer(k.Kernel, k.StateDirectory).Restore(null);
        Assert.True(restored.Succeeded, restored.Error);
        host = AssignmentFlow.Read(k.Kernel);
        Assert.Equal("e1000", host.FindDevice(PciAddress.Parse(E1000))!.Driver);
        Assert.Null(host.FindDevice(PciAddress.Parse(E1000))!.DriverOverride);
        Assert.Null(host.FindDevice(PciAddress.Parse(Edu2))!.Driver);
    }

    [Fact]
    public void A_second_bind_keeps_the_first_original_driver_in_the_journal()
    {
        RequireKernel();
        using var k = Factory.Create();
        Assert.True(AssignmentFlow.Bind(k.Kernel, k.StateDirectory, Request(Edu2, fence: E1000)).Result!.Succeeded);
        // Now give the fenced e1000 to vfio-pci as well: its original is still e1000, not pci-stub.
        var again = AssignmentFlow.Bind(k.Kernel, k.StateDirectory, Request(E1000));
        Assert.True(again.Result!.Succeeded, again.Result.Error);
        Assert.Equal("vfio-pci", AssignmentFlow.DriverOf(k.Kernel, E1000));
        var entry = AssignmentFlow.State(k.Kernel, k.StateDirectory).LoadJournal().Find(PciAddress.Parse(E1000))!;
        Assert.Equal("e1000", entry.OriginalDriver);
        Assert.True(AssignmentFlow.Restorer(k.Kernel, k.StateDirectory).Restore(null).Succeeded);
        Assert.Equal("e1000", AssignmentFlow.DriverOf(k.Kernel, E1000));
    }

    [Fact]
    public void Killed_after_any_write_restore_returns_every_device()
    {
        RequireKernel();
        // Group 4 with a fence: override, unbind and probe for two devices; crash after each of them.
        for (int writes = 0; writes <= 6; writes++)
        {
            using var k = Factory.Create();
            var crashing = new CrashingKernel(k.Kernel, writes);
            var plan = AssignmentFlow.Plan(k.Kernel, Request(Edu2, fence: E1000));
            try
            {
                using var held = AssignmentFlow.State(crashing, k.StateDirectory).Lock();
                AssignmentFlow.Applier(crashing, k.StateDirectory).Apply(plan);
            }
            catch (ProcessKilledException) { }

            // A new process: restore from the journal alone.
            var restored = AssignmentFlow.Restorer(k.Kernel, k.StateDirectory).Restore(null);
            Assert.True(restored.Succeeded, $"after {writes} writes: {restored.Error}");
            var host = AssignmentFlow.Read(k.Kernel);
            Assert.Equal("e1000", host.FindDevice(PciAddress.Parse(E1000))!.Driver);
            Assert.Null(host.FindDevice(PciAddress.Parse(E1000))!.DriverOverride);
            Assert.Null(host.FindDevice(PciAddress.Parse(Edu2))!.Driver);
            Assert.Null(host.FindDevice(PciAddress.Parse(Edu2))!.DriverOverride);
            Assert.Empty(AssignmentFlow.State(k.Kernel, k.StateDirectory).LoadJournal().Entries);
        }
    }

    [Fact]
    public void A_group_held_open_cannot_be_changed_and_the_holder_is_named()
    {
        RequireKernel();
        using var k = Factory.Create();
        Assert.True(AssignmentFlow.Bind(k.Kernel, k.StateDirectory, Request(Edu)).Result!.Succeeded);
        var host = AssignmentFlow.Read(k.Kernel);
        int group = host.FindDevice(PciAddress.Parse(Edu))!.IommuGroup!.Value;
        using (k.HoldGroupOpen(group))
        {
            var plan = AssignmentFlow.Plan(k.Kernel, new AssignmentRequest { Targets = [PciAddress.Parse(Edu)], Force = true });
            Assert.False(plan.CanApply);
            var refusal = Assert.Single(plan.Refusals, r => !r.Overridable);
            Assert.Contains($"/dev/vfio/{group}", refusal.Reason);
            Assert.Contains("pid ", refusal.Reason);
        }
        Assert.True(AssignmentFlow.Restorer(k.Kernel, k.StateDirectory).Restore(null).Succeeded);
    }

    [Fact]
    public void Two_binds_racing_on_one_group_leave_it_whole()
    {
        RequireKernel();
        using var k = Factory.Create();
        var errors = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = new[] { Edu2, E1000 }.Select(target => new Thread(() =>
        {
            try
            {
                var (plan, result) = AssignmentFlow.Bind(k.Kernel, k.StateDirectory, Request(target));
                if (result is { Succeeded: false }) errors.Add(result.Error!);
                if (!plan.CanApply) errors.Add(string.Join("; ", plan.Refusals.Select(r => r.Reason)));
            }
            catch (Exception e) { errors.Add(e.ToString()); }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(errors);
        var host = AssignmentFlow.Read(k.Kernel);
        Assert.Equal("vfio-pci", host.FindDevice(PciAddress.Parse(E1000))!.Driver);
        Assert.Equal("vfio-pci", host.FindDevice(PciAddress.Parse(Edu2))!.Driver);
        var journal = AssignmentFlow.State(k.Kernel, k.StateDirectory).LoadJournal();
        Assert.Equal("e1000", journal.Find(PciAddress.Parse(E1000))!.OriginalDriver);
        Assert.Null(journal.Find(PciAddress.Parse(Edu2))!.OriginalDriver);
        Assert.True(AssignmentFlow.Restorer(k.Kernel, k.StateDirectory).Restore(null).Succeeded);
        Assert.Equal("e1000", AssignmentFlow.DriverOf(k.Kernel, E1000));
    }

    [Fact]
    public void The_lab_plumbing_and_host_platform_devices_are_refused_without_force()
    {
        RequireKernel();
        using var k = Factory.Create();
        var lpc = AssignmentFlow.Plan(k.Kernel, "0000:00:1f.2");
        Assert.False(lpc.CanApply);
        Assert.Contains(lpc.Refusals, r => r.Overridable && r.Reason.Contains("ISA/LPC"));
        var host = AssignmentFlow.Plan(k.Kernel, "0000:00:00.0");
        Assert.Contains(host.Refusals, r => r.Reason.Contains("host bridge"));
        var port = AssignmentFlow.Plan(k.Kernel, "0000:00:03.0");
        // A root port alone: it stays on pcieport, nothing to move, nothing refused.
        Assert.Empty(port.Changes);
    }
}
