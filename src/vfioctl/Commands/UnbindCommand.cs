using System.CommandLine;
using Vfio.Host.Reading;
using Vfio.Policy.Viability;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl unbind ADDRESS...</c>: leave devices without a driver (journaled, restorable).</summary>
internal static class UnbindCommand
{
    private static readonly Argument<string[]> Targets = AssignmentSupport.Addresses("Devices to leave without a driver");

    public static Command Create()
    {
        var cmd = new Command("unbind", "Leave devices without any driver (override 'none' so nothing rebinds them); undo with restore");
        cmd.Arguments.Add(Targets);
        cmd.Options.Add(PlanCommand.Force);
        cmd.Options.Add(AssignmentSupport.StateDir);
        CommandSupport.SetGuardedAction(cmd, Run);
        return cmd;
    }

    private static int Run(ParseResult parse, Terminal term)
    {
        var root = AssignmentSupport.RequireDirectoryRoot(parse.GetValue(GlobalOptions.Root)!, "unbind");
        var targets = AssignmentSupport.ParseAddresses(parse.GetValue(Targets) ?? [], "device");
        if (targets.Count == 0) throw new UsageException("name at least one device (PCI address).");
        AssignmentSupport.RequireRootForLiveHost(root, "unbind");
        var assigner = AssignmentSupport.MakeAssigner(root, parse);
        using var held = assigner.Lock();
        using var view = HostView.Open(root, new HostReadOptions { GroupUsers = true, Details = false });
        foreach (var t in targets)
        {
            var d = view.RequireDevice(t);
            if (d.IommuGroup is { } g && view.Host.GroupUsers.TryGetValue(g, out var users) && users.Length > 0)
            {
                term.Error.WriteLine($"vfioctl: {t} is in group {g}, open in userspace ({string.Join(", ", users)}): unbinding would block until it is closed.");
                return ExitCodes.Refused;
            }
            if (!parse.GetValue(PlanCommand.Force) && ViabilityEvaluator.IsHostEssential(d, out var why))
            {
                term.Error.WriteLine($"vfioctl: refused: {t} {why}. --force overrides this.");
                return ExitCodes.Refused;
            }
        }
        var result = assigner.Unbind(targets, a => view.Host.FindDevice(a)?.IommuGroup);
        if (parse.GetValue(GlobalOptions.Json)) Json.Write(term.Out, w => AssignmentSupport.WriteResult(w, result));
        else AssignmentSupport.PrintResult(term, result);
        return result.Succeeded ? ExitCodes.Success : ExitCodes.Failed;
    }
}
