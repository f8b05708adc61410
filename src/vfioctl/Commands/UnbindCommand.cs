using System.CommandLine;
using Vfio.Execution.Operations;
using Vfio.Policy.Assignment;
using Vfioctl.Commands.Options;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl unbind ADDRESS...</c>: leave devices without a driver (journaled, restorable).</summary>
internal static class UnbindCommand
{
    private static readonly Argument<string[]> Targets = AssignmentOptions.Addresses("Devices to leave without a driver");

    public static Command Create(CliServices services) => CommandActions.Define("unbind",
        "Leave devices without any driver (override 'none' so nothing rebinds them); undo with restore",
        (parse, term) => Run(parse, term, services), Targets, AssignmentOptions.Force, AssignmentOptions.StateDir);

    private static int Run(ParseResult parse, Terminal term, CliServices services)
    {
        var root = RootChecks.RequireDirectoryRoot(parse.GetValue(GlobalOptions.Root)!, "unbind");
        var request = new UnbindRequest { Targets = [.. AssignmentOptions.RequiredTargets(parse, Targets)], Force = parse.GetValue(AssignmentOptions.Force) };
        RootChecks.RequireRootForLiveHost(root, "unbind");
        using var tree = HostTree.Open(root);
        var run = UnbindOperation.Run(request, CommandActions.Services(services, root, tree, AssignmentOptions.Execution(parse)));
        return ResultWriter.WriteRelease(term, parse.GetValue(GlobalOptions.Json), request.Targets, run.Plan.Refusals, request.Force, run.Outcome);
    }
}
