using System.CommandLine;
using Vfio.Execution.Operations;
using Vfio.Execution.Persistence;
using Vfioctl.Commands.Options;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl bind ADDRESS...</c>: hand whole groups to userspace, journaled and reversible.</summary>
internal static class BindCommand
{
    private static readonly Argument<string[]> Targets = AssignmentOptions.Addresses("Devices to hand to userspace (their whole groups go)");

    public static Command Create(CliServices services) => CommandActions.Define("bind",
        "Bind devices, with their whole IOMMU groups, to vfio-pci (or a variant, or pci-stub) through driver_override",
        (parse, term) => Run(parse, term, services),
        Targets, AssignmentOptions.Driver, AssignmentOptions.Fence, AssignmentOptions.Force, AssignmentOptions.NoIommu, AssignmentOptions.DryRun, AssignmentOptions.StateDir, PersistOptions.Persist, PersistOptions.Config);

    private static int Run(ParseResult parse, Terminal term, CliServices services)
    {
        var root = parse.GetValue(GlobalOptions.Root)!;
        bool json = parse.GetValue(GlobalOptions.Json);
        var request = AssignmentOptions.Request(parse, Targets);
        bool dryRun = parse.GetValue(AssignmentOptions.DryRun);
        if (!dryRun) RootChecks.RequireWritable(root, "bind");
        using var tree = HostTree.Open(root);
        // The plan is shown before the writes start (they can take a while), the result after.
        bool persist = parse.GetValue(PersistOptions.Persist);
        if (persist && dryRun) throw new UsageException("--persist with --dry-run: a dry run declares nothing either; drop one of them.");
        var ops = CommandActions.Services(services, root, tree, AssignmentOptions.Execution(parse));
        var run = BindOperation.Run(request, ops, dryRun,
            beforeApply: planned =>
            {
                CommandActions.Warn(term, planned.Warnings);
                if (!json) PlanWriter.Write(term, HostView.Of(planned.Host), planned.Plan, json: false);
            });
        if (run.Outcome is not { } result)
        {
            CommandActions.Warn(term, run.Warnings);
            PlanWriter.Write(term, HostView.Of(run.Host), run.Plan, json);
            return run.Plan.CanApply ? ExitCodes.Success : ExitCodes.Refused;
        }
        // The risk is said again where it cannot be missed, after the writes.
        if (result.Succeeded && run.Plan.EnableNoIommuMode) term.Error.WriteLine("vfioctl: " + Vfio.Policy.Assignment.AssignmentPlanner.NoIommuWarning);
        if (json) Json.Write(term.Out, w => ResultWriter.WriteJson(w, result));
        else
        {
            term.Out.WriteLine(result.Succeeded ? "Done:" : "Failed:");
            ResultWriter.WriteText(term, result);
            if (result.Succeeded)
                term.Out.WriteLine($"Undo with: vfioctl restore {string.Join(' ', run.Plan.Changes.Select(s => s.Address))}");
        }
        if (result.Succeeded && persist)
            PersistCommand.AfterChange(parse, term, file => PersistOperation.AddDevices(request, file, ops), ops.Kernel.Files);
        return result.Succeeded ? ExitCodes.Success : ExitCodes.Failed;
    }
}
