using System.CommandLine;
using Vfio.Host.Reading;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl bind ADDRESS...</c>: hand whole groups to userspace, journaled and reversible.</summary>
internal static class BindCommand
{
    private static readonly Argument<string[]> Targets = AssignmentSupport.Addresses("Devices to hand to userspace (their whole groups go)");
    private static readonly Option<bool> DryRun = new("--dry-run") { Description = "Print the plan and change nothing (same as 'vfioctl plan')" };

    public static Command Create()
    {
        var cmd = new Command("bind", "Bind devices, with their whole IOMMU groups, to vfio-pci (or a variant, or pci-stub) through driver_override");
        cmd.Arguments.Add(Targets);
        cmd.Options.Add(PlanCommand.Driver);
        cmd.Options.Add(PlanCommand.Fence);
        cmd.Options.Add(PlanCommand.Force);
        cmd.Options.Add(DryRun);
        cmd.Options.Add(AssignmentSupport.StateDir);
        CommandSupport.SetGuardedAction(cmd, Run);
        return cmd;
    }

    private static int Run(ParseResult parse, Terminal term)
    {
        var root = parse.GetValue(GlobalOptions.Root)!;
        bool json = parse.GetValue(GlobalOptions.Json);
        var request = PlanCommand.Request(parse, parse.GetValue(Targets) ?? []);
        bool dryRun = parse.GetValue(DryRun);
        if (!dryRun)
        {
            AssignmentSupport.RequireDirectoryRoot(root, "bind");
            AssignmentSupport.RequireRootForLiveHost(root, "bind");
        }
        var assigner = dryRun ? null : AssignmentSupport.MakeAssigner(root, parse);
        // Read, plan and apply under one lock: a racing bind sees this one's result, never half of it.
        using var held = assigner?.Lock();
        // Holders only where the plan can move something: the named devices' groups.
        using var view = HostView.Open(root, new HostReadOptions
        {
            GroupUsers = true,
            Details = false,
            HoldersOnlyFor = [.. request.Targets, .. request.Fence],
        });
        var plan = AssignmentSupport.MakePlan(view, term, request);
        if (dryRun || !plan.CanApply)
        {
            AssignmentSupport.WritePlan(term, view, plan, json);
            return plan.CanApply ? ExitCodes.Success : ExitCodes.Refused;
        }
        if (!json) AssignmentSupport.WritePlan(term, view, plan, json: false);
        var result = assigner!.Apply(plan);
        if (json) Json.Write(term.Out, w => AssignmentSupport.WriteResult(w, result));
        else
        {
            term.Out.WriteLine(result.Succeeded ? "Done:" : "Failed:");
            AssignmentSupport.PrintResult(term, result);
            if (result.Succeeded)
                term.Out.WriteLine($"Undo with: vfioctl restore {string.Join(' ', plan.Changes.Select(s => s.Address))}");
        }
        return result.Succeeded ? ExitCodes.Success : ExitCodes.Failed;
    }
}
