using Vfio.Execution.Sriov;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Policy.Drivers;
using Vfio.Policy.Sriov;

namespace Vfio.Execution.Operations;

/// <summary>What SR-IOV enable and disable share: lock, read, plan, apply.</summary>
internal static class SriovPlanAndApply
{
    /// <summary>Holds the state lock (not for a dry run), reads the host, plans and (unless a dry run or refused) applies.</summary>
    public static OperationResult<SriovPlan, SriovResult> Run(OperationServices services, bool dryRun,
        Action<OperationResult<SriovPlan, SriovResult>>? beforeApply, PciAddress address,
        Func<HostState, SriovFacts, List<string>, (SriovPlan Plan, ModuleAliases Aliases)> plan)
    {
        using var held = dryRun ? null : services.State.Lock();
        var files = services.Kernel.Files;
        var host = HostReader.Read(files, new HostReadOptions { GroupUsers = true });
        var pf = HostReads.RequireDevice(host, address);
        var warnings = new List<string>();
        var (made, aliases) = plan(host, SriovFactsReader.Read(files, pf), warnings);
        var planned = new OperationResult<SriovPlan, SriovResult>(host, made, null, [.. warnings]);
        if (dryRun || !made.CanApply) return planned;
        beforeApply?.Invoke(planned);
        var executor = new SriovExecutor(services.Kernel, services.Options) { TokenApplier = services.TokenApplier };
        return planned with { Outcome = executor.Apply(made, aliases) };
    }
}
