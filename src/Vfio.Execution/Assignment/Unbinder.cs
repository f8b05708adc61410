using Vfio.Execution.Kernel;
using Vfio.Execution.State;

namespace Vfio.Execution.Assignment;

/// <summary>
/// Leaves devices without a driver: override "none" (no driver has that name, so no probe,
/// rescan or hotplug rebinds them), journaled like a bind so that a restore undoes it. Callers
/// hold the state lock and have planned the unbind (<see cref="Vfio.Policy.Assignment.ReleasePlanner"/>).
/// </summary>
public sealed class Unbinder(IKernel kernel, ExecutionOptions options)
{
    private readonly StateDirectory _state = StateDirectory.Of(kernel, options);

    public ExecutionResult Unbind(IReadOnlyCollection<PciAddress> devices, Func<PciAddress, int?> groupOf)
    {
        var log = new List<string>();
        var ops = new BindingOps(kernel, options.WriteTimeout, log.Add);
        var journal = _state.LoadJournal();
        foreach (var a in devices)
        {
            var driver = ops.CurrentDriver(a);
            journal.Remember(new JournalEntry
            {
                Address = a.ToString(), OriginalDriver = driver, OriginalModule = driver is null ? null : ops.ModuleOf(driver),
                OriginalOverride = ops.CurrentOverride(a), Group = groupOf(a), ChangedUtc = DateTime.UtcNow,
                PhysFn = ops.PhysFnOf(a),
            });
        }
        journal.Save();
        var outcomes = new List<DeviceOutcome>();
        try
        {
            foreach (var a in devices)
            {
                var before = ops.CurrentDriver(a);
                // No driver is named "none": with this override no probe (rescan, new_id, hotplug) rebinds it.
                ops.SetOverride(a, "none");
                ops.Unbind(a);
                journal.SetBoundTo(a, "none");
                outcomes.Add(new DeviceOutcome(a, before, null, "unbound"));
            }
            journal.Save();
            return new ExecutionResult { Succeeded = true, Devices = [.. outcomes], Log = [.. log] };
        }
        catch (KernelException e)
        {
            journal.Save();
            return new ExecutionResult { Succeeded = false, Error = e.Message + " (run 'vfioctl restore' to return what was changed)", Devices = [.. outcomes], Log = [.. log] };
        }
    }
}
