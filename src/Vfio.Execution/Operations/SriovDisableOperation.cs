using Vfio.Execution.Sriov;
using Vfio.Policy.Drivers;
using Vfio.Policy.Sriov;

namespace Vfio.Execution.Operations;

/// <summary>SR-IOV disable: remove every VF of a PF, journaled so that restore returns the PF as it was.</summary>
public static class SriovDisableOperation
{
    /// <summary>
    /// Removes every VF of a PF under the state lock, refused while one is open in userspace (unless
    /// it only appears open and <paramref name="force"/>). Throws <see cref="NotFoundException"/>
    /// when the PF is not on the host. <paramref name="beforeApply"/> is called just before applying.
    /// </summary>
    public static OperationResult<SriovPlan, SriovResult> Run(PciAddress pf, bool force, OperationServices services, bool dryRun = false,
        Action<OperationResult<SriovPlan, SriovResult>>? beforeApply = null) =>
        // Removing VFs binds nothing: modules.alias is not read.
        SriovPlanAndApply.Run(services, dryRun, beforeApply, pf, (host, facts, _) => (SriovPlanner.PlanDisable(host, facts, pf, force), ModuleAliases.Empty));
}
