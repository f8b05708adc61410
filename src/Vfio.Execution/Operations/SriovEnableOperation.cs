using Vfio.Execution.Sriov;
using Vfio.Policy.Sriov;

namespace Vfio.Execution.Operations;

/// <summary>SR-IOV enable: give a PF a number of VFs, journaled so that restore returns the PF as it was.</summary>
public static class SriovEnableOperation
{
    /// <summary>
    /// Gives a PF a number of VFs (N → 0 → M when it has some), optionally binding them or the PF
    /// to vfio-pci, under the state lock. Throws <see cref="NotFoundException"/> when the PF is not on the host.
    /// <paramref name="beforeApply"/> is called with the host, plan and warnings just before the plan is applied.
    /// </summary>
    public static OperationResult<SriovPlan, SriovResult> Run(SriovRequest request, OperationServices services, bool dryRun = false,
        Action<OperationResult<SriovPlan, SriovResult>>? beforeApply = null) =>
        SriovPlanAndApply.Run(services, dryRun, beforeApply, request.Pf, (host, facts, warnings) =>
        {
            var aliases = HostReads.Aliases(services.Kernel.Files, host, warnings);
            return (SriovPlanner.PlanEnable(host, aliases, facts, request), aliases);
        });
}
