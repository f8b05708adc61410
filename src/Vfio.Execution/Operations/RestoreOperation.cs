using Vfio.Execution.Assignment;
using Vfio.Host.Reading;
using Vfio.Policy.Assignment;
using Vfio.Policy.Sriov;

namespace Vfio.Execution.Operations;

/// <summary>Restore: return journaled devices to the drivers they really had.</summary>
public static class RestoreOperation
{
    /// <summary>
    /// Under the state lock: loads the journal, reads the host, plans (refusing what would wait on a
    /// userspace process) and restores. <paramref name="targets"/> empty means every journaled
    /// device. Throws <see cref="NotFoundException"/> when a named device is not in the journal.
    /// </summary>
    public static OperationResult<RestorePlan, ExecutionResult> Run(IReadOnlyList<PciAddress> targets, OperationServices services)
    {
        bool all = targets.Count == 0;
        var state = services.State;
        using var held = state.Lock();
        var journal = state.LoadJournal();
        foreach (var t in targets)
            if (journal.Find(t) is null)
                throw new NotFoundException($"{t} is not in vfioctl's journal ({state.HostPath}): vfioctl did not move it, so there is nothing to restore.");

        var files = services.Kernel.Files;
        var host = HostReader.Read(files, new HostReadOptions { GroupUsers = true, Holders = false, Details = false });
        var journaled = new List<ReleaseTarget>();
        foreach (var e in journal.Entries)
        {
            var a = PciAddress.Parse(e.Address);
            if (!all && !targets.Contains(a)) continue;
            // The SR-IOV facts (runtime PM of the VFs) only for PFs whose VFs restore removes.
            var facts = e.SriovChanged && host.FindDevice(a) is { Sriov: not null } pf ? SriovFactsReader.Read(files, pf) : null;
            journaled.Add(new ReleaseTarget(a, e.SriovChanged, facts));
        }
        var plan = ReleasePlanner.PlanRestore(host, journaled, all);
        var outcome = plan.CanApply ? new Restorer(services.Kernel, services.Options).Restore(all ? null : targets) : null;
        return new(host, plan, outcome, []);
    }
}
