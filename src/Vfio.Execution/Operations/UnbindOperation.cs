using Vfio.Execution.Assignment;
using Vfio.Host.Reading;
using Vfio.Policy.Assignment;

namespace Vfio.Execution.Operations;

/// <summary>Unbind: leave devices without any driver, journaled so that restore undoes it.</summary>
public static class UnbindOperation
{
    /// <summary>
    /// Under the state lock: reads the host, plans (refusing a group open in userspace, and a
    /// host-essential device unless forced) and unbinds. Throws <see cref="NotFoundException"/>
    /// when a named device is not on the host.
    /// </summary>
    public static OperationResult<UnbindPlan, ExecutionResult> Run(UnbindRequest request, OperationServices services)
    {
        using var held = services.State.Lock();
        var host = HostReader.Read(services.Kernel.Files, new HostReadOptions { GroupUsers = true, Details = false });
        var files = services.Kernel.Files;
        // The SR-IOV facts (runtime PM of the VFs) of named PFs with VFs: unbinding such a PF can remove them.
        var pfs = new List<ReleaseTarget>();
        foreach (var t in request.Targets)
            if (host.FindDevice(t) is { Sriov.VirtualFunctions.Length: > 0 } pf)
                pfs.Add(new ReleaseTarget(t, false, SriovFactsReader.Read(files, pf)));
        var plan = ReleasePlanner.PlanUnbind(host, request, pfs);
        if (!plan.Missing.IsEmpty) throw NotFoundException.NoSuchDevice(host, plan.Missing[0]);
        var outcome = plan.CanApply
            ? new Unbinder(services.Kernel, services.Options).Unbind(request.Targets, a => host.FindDevice(a)?.IommuGroup)
            : null;
        return new(host, plan, outcome, []);
    }
}
