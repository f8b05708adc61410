using Vfio.Execution.Kernel;
using Vfio.Execution.State;
using Vfio.Policy.Assignment;

namespace Vfio.Execution.Assignment;

/// <summary>
/// Applies assignment plans: every change is journaled first, done through <see cref="IKernel"/>
/// one verified step at a time, and rolled back on failure. Callers hold the state lock
/// (<see cref="StateDirectory.Lock"/>) across read, plan and apply, as the operations do.
/// </summary>
public sealed class AssignmentApplier(IKernel kernel, ExecutionOptions options)
{
    private readonly StateDirectory _state = StateDirectory.Of(kernel, options);

    /// <summary>Carries out a plan that <see cref="AssignmentPlan.CanApply"/>; rolls back on failure.</summary>
    public ExecutionResult Apply(AssignmentPlan plan)
    {
        if (!plan.CanApply) throw new InvalidOperationException("the plan has standing refusals");
        var log = new List<string>();
        var ops = new BindingOps(kernel, options.WriteTimeout, log.Add);
        var journal = _state.LoadJournal();
        var driverNames = new ModuleDriverNames(kernel.Files);

        // 1. Journal the original state of everything that will change, durably, before any write.
        var changes = plan.Changes.ToList();
        var beforeRun = new Dictionary<PciAddress, (string? Driver, string? Override, bool Added)>();
        foreach (var s in changes)
        {
            var driver = ops.CurrentDriver(s.Address);
            var current = ops.CurrentOverride(s.Address);
            bool added = journal.Remember(new JournalEntry
            {
                Address = s.Address.ToString(),
                OriginalDriver = driver,
                OriginalModule = driver is null ? null : ops.ModuleOf(driver),
                OriginalOverride = current,
                Group = s.Group,
                ChangedUtc = DateTime.UtcNow,
                PhysFn = ops.PhysFnOf(s.Address),
                OriginalVirtioFeatures = ops.VirtioFeaturesOf(s.Address),
            });
            beforeRun[s.Address] = (driver, current, added);
        }
        journal.Save();

        var done = new List<DeviceStep>();
        var outcomes = new List<DeviceOutcome>();
        try
        {
            // 2. Modules: vfio-pci does not pull in vfio_iommu_type1; load what the plan names.
            foreach (var m in plan.Modules)
            {
                kernel.LoadModule(m.Module, m.Parameters);
                log.Add($"loaded module {m.Module}");
            }
            if (plan.EnableNoIommuMode) EnableNoIommuMode(log);
            // 3. Move each member, fences first so the group never has an unfenced host driver next to a vfio one.
            var order = new List<DeviceStep>(changes);
            order.Sort(static (x, y) => ApplyRank(x) != ApplyRank(y) ? ApplyRank(x) - ApplyRank(y) : PciAddress.Order(x.Address, y.Address));
            foreach (var s in order)
            {
                var before = ops.CurrentDriver(s.Address);
                var driver = driverNames.DriverFor(s);
                done.Add(s);
                ops.MoveTo(s.Address, driver);
                journal.SetBoundTo(s.Address, driver);
                outcomes.Add(new DeviceOutcome(s.Address, before, driver, s.Action == StepAction.Fence ? "fenced" : "bound"));
            }
            journal.Save();
            foreach (var s in plan.Steps.Where(s => s.Action == StepAction.Keep))
                outcomes.Add(new DeviceOutcome(s.Address, s.FromDriver, s.FromDriver, s.Reason));
            outcomes.Sort(static (x, y) => PciAddress.Order(x.Address, y.Address));
            return new ExecutionResult { Succeeded = true, Devices = [.. outcomes], Log = [.. log] };
        }
        catch (KernelException e) when (e.Error == Errno.ETIMEDOUT)
        {
            // The write is still pending in the kernel, and on some kernels (6.1) even reading the
            // device waits behind it: touching anything now could hang. Stop; the journal has the
            // originals for a restore once the holder lets go.
            journal.Save();
            return new ExecutionResult
            {
                Succeeded = false,
                Error = e.Message + " Run 'vfioctl restore --all' once the process holding the device has exited.",
                RolledBack = false,
                Devices = [.. outcomes],
                Log = [.. log],
            };
        }
        catch (KernelException e)
        {
            bool rolledBack = Rollback(done, beforeRun, journal, ops, log);
            return new ExecutionResult
            {
                Succeeded = false,
                Error = e.Message,
                RolledBack = rolledBack,
                Devices = [.. outcomes],
                Log = [.. log],
            };
        }
    }

    private const string NoIommuParameter = "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode";

    /// <summary>
    /// Turns vfio's unsafe no-IOMMU mode on: the module parameter, which modprobe does not change when
    /// vfio is already loaded, is writable. A kernel built without it has no such file.
    /// </summary>
    private void EnableNoIommuMode(List<string> log)
    {
        if (!kernel.Files.Exists(NoIommuParameter))
            throw new KernelException("turning on vfio's no-IOMMU mode", Errno.ENOENT,
                $"{NoIommuParameter} does not exist: this kernel is built without CONFIG_VFIO_NOIOMMU (Debian's kernels are), so it has no no-IOMMU mode.");
        if (kernel.Files.ReadAttribute(NoIommuParameter) is "Y" or "1") return;
        kernel.Write(NoIommuParameter, "Y", options.WriteTimeout);
        log.Add($"turned on vfio's unsafe no-IOMMU mode ({NoIommuParameter} = Y)");
    }

    /// <summary>Returns what this run touched to the state it had before the run, newest first.</summary>
    private static bool Rollback(List<DeviceStep> done, Dictionary<PciAddress, (string? Driver, string? Override, bool Added)> beforeRun,
        Journal journal, BindingOps ops, List<string> log)
    {
        bool ok = true;
        for (int i = done.Count - 1; i >= 0; i--)
        {
            var a = done[i].Address;
            var (driver, overrideValue, added) = beforeRun[a];
            try
            {
                ops.ReturnTo(a, driver, overrideValue);
                if (added) journal.Forget(a);
            }
            catch (KernelException e)
            {
                ok = false;
                log.Add($"rollback of {a} failed: {e.Message}");
            }
        }
        // Journaled by this run but never touched: nothing to restore.
        foreach (var (a, state) in beforeRun)
            if (state.Added && !done.Any(d => d.Address == a)) journal.Forget(a);
        journal.Save();
        return ok;
    }

    // Orders as plain list sorts: LINQ's OrderBy over value-type keys is compiled at run time.
    private static int ApplyRank(DeviceStep s) => s.Action == StepAction.Fence ? 0 : 1;
}
