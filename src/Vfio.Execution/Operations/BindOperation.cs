using Vfio.Execution.Assignment;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Assignment;

namespace Vfio.Execution.Operations;

/// <summary>Bind: hand whole IOMMU groups to a userspace driver, journaled and reversible.</summary>
public static class BindOperation
{
    /// <summary>
    /// Takes the state lock, reads the host, plans and (unless refused) applies, all under the lock:
    /// a racing bind sees this one's result, never half of it. A dry run reads and plans without
    /// the lock and writes nothing.
    /// </summary>
    /// <remarks><paramref name="beforeApply"/> is called with the host, plan and warnings just before the plan is applied (a front end shows them while the writes run).</remarks>
    public static OperationResult<AssignmentPlan, ExecutionResult> Run(AssignmentRequest request, OperationServices services, bool dryRun = false,
        Action<OperationResult<AssignmentPlan, ExecutionResult>>? beforeApply = null)
    {
        using var held = dryRun ? null : services.State.Lock();
        // Holders only where the plan can move something: the named devices' groups.
        var host = HostReader.Read(services.Kernel.Files, new HostReadOptions
        {
            GroupUsers = true,
            Details = false,
            HoldersOnlyFor = [.. request.Targets, .. request.Fence],
        });
        var warnings = new List<string>();
        var plan = AssignmentPlanner.Plan(host, HostReads.Aliases(services.Kernel.Files, host, warnings), request);
        var planned = new OperationResult<AssignmentPlan, ExecutionResult>(host, plan, null, [.. warnings]);
        if (dryRun || !plan.CanApply) return planned;
        beforeApply?.Invoke(planned);
        return planned with { Outcome = new AssignmentApplier(services.Kernel, services.Options).Apply(plan) };
    }

    /// <summary>The plan alone, from a host already read (what <c>vfioctl plan</c> shows); warnings go to <paramref name="warnings"/>.</summary>
    public static AssignmentPlan Plan(HostFiles files, HostState host, AssignmentRequest request, List<string> warnings) =>
        AssignmentPlanner.Plan(host, HostReads.Aliases(files, host, warnings), request);
}
