using System.CommandLine;
using Vfio.Execution.Operations;
using Vfioctl.Commands.Options;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl restore [ADDRESS...|--all]</c>: return devices to the drivers they really had.</summary>
internal static class RestoreCommand
{
    private static readonly Argument<string[]> Targets = AssignmentOptions.Addresses("Devices to restore (their journaled original driver and override)");
    private static readonly Option<bool> All = new("--all") { Description = "Restore every device vfioctl has moved" };

    public static Command Create(CliServices services) => CommandActions.Define("restore",
        "Return devices vfioctl moved to their original drivers (or none) and clear its overrides",
        (parse, term) => Run(parse, term, services), Targets, All, AssignmentOptions.StateDir);

    private static int Run(ParseResult parse, Terminal term, CliServices services)
    {
        var root = RootChecks.RequireDirectoryRoot(parse.GetValue(GlobalOptions.Root)!, "restore");
        var targets = AssignmentOptions.ParseAddresses(parse.GetValue(Targets) ?? [], "device");
        if (parse.GetValue(All) == (targets.Count > 0))
            throw new UsageException("name the devices to restore, or --all (not both).");
        RootChecks.RequireRootForLiveHost(root, "restore");
        using var tree = HostTree.Open(root);
        var run = RestoreOperation.Run(targets, CommandActions.Services(services, root, tree, AssignmentOptions.Execution(parse)));
        bool json = parse.GetValue(GlobalOptions.Json);
        if (!json && run.Outcome is { Devices.Length: 0, Succeeded: true }) term.Out.WriteLine("Nothing to restore: the journal is empty.");
        return ResultWriter.WriteRelease(term, json, run.Plan.Devices, run.Plan.Refusals, null, run.Outcome);
    }
}
