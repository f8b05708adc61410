using System.CommandLine;
using Vfio.Execution.Operations;
using Vfioctl.Commands.Options;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl doctor [ADDRESS...]</c>: why this host (or these devices) can or cannot go to userspace, with the fixes.</summary>
internal static class DoctorCommand
{
    private static readonly Argument<string[]> Targets = AssignmentOptions.Addresses("Devices to examine besides the host: what a bind of each would meet");

    public static Command Create(CliServices services) => CommandActions.Define("doctor",
        "Check whether this host can give devices to userspace and why not: IOMMU, interrupt remapping, modules, limits, vfioctl's state, and the named devices",
        (parse, term) => Run(parse, term, services), Targets, PersistOptions.Config, AssignmentOptions.StateDir);

    private static int Run(ParseResult parse, Terminal term, CliServices services)
    {
        var root = parse.GetValue(GlobalOptions.Root)!;
        var targets = AssignmentOptions.ParseAddresses(parse.GetValue(Targets) ?? [], "device");
        using var tree = HostTree.Open(root);
        var ops = CommandActions.Services(services, root, tree, AssignmentOptions.Execution(parse));
        var run = DoctorOperation.Run(new DoctorRequest
        {
            Targets = [.. targets],
            Declared = PersistOptions.File(parse, ops.Kernel.Files),
        }, ops);
        bool json = parse.GetValue(GlobalOptions.Json);
        if (!json) foreach (var w in run.Host.Warnings) term.Warn(w);
        CommandActions.Warn(term, run.Warnings);
        DoctorWriter.Write(term, HostView.Of(run.Host), run.Plan, json);
        return run.Plan.Healthy ? ExitCodes.Success : ExitCodes.Refused;
    }
}
