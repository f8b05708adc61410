using System.CommandLine;
using Vfio.Execution.Operations;
using Vfio.Execution.Sriov;
using Vfio.Policy.Sriov;
using Vfioctl.Commands.Options;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary>What sriov enable and disable do around their operation: the root checks, the services, the output.</summary>
internal static class SriovApply
{
    /// <summary>Runs <paramref name="operation"/> (with --dry-run, the services, and the show-the-plan-first callback) and renders it.</summary>
    public static int Run(ParseResult parse, Terminal term, CliServices services,
        Func<OperationServices, bool, Action<OperationResult<SriovPlan, SriovResult>>, OperationResult<SriovPlan, SriovResult>> operation,
        Action<OperationServices>? afterSuccess = null)
    {
        var root = parse.GetValue(GlobalOptions.Root)!;
        bool json = parse.GetValue(GlobalOptions.Json);
        bool dryRun = parse.GetValue(SriovOptions.DryRun);
        if (!dryRun) RootChecks.RequireWritable(root, "sriov");
        var options = SriovOptions.Execution(parse); // a bad --timeout is a usage error before anything is read
        using var tree = HostTree.Open(root);
        var ops = CommandActions.Services(services, root, tree, options);
        var run = operation(ops, dryRun, planned =>
        {
            CommandActions.Warn(term, planned.Warnings);
            if (!json) SriovPlanWriter.WriteText(term, HostView.Of(planned.Host), planned.Plan);
        });
        if (run.Outcome is null) CommandActions.Warn(term, run.Warnings);
        int exit = SriovResultWriter.Write(term, HostView.Of(run.Host), run, json);
        if (run.Outcome is { Succeeded: true }) afterSuccess?.Invoke(ops);
        return exit;
    }
}
