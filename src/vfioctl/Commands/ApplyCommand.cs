using System.CommandLine;
using Vfio.Execution.Persistence;
using Vfioctl.Commands.Options;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl apply</c>: converge the host to the declared state, journaled like bind (docs/persistence.md).</summary>
internal static class ApplyCommand
{
    private static readonly Option<bool> DryRun = new("--dry-run") { Description = "Show what would change and change nothing" };
    private static readonly Option<bool> Boot = new("--boot")
    {
        Description = "As at boot (vfioctl.service): one summary line on stdout, problems on stderr; every declared VF token is set again",
    };

    public static Command Create(CliServices services) => CommandActions.Define("apply",
        "Converge the host to the declared state: create declared VFs, bind declared devices, set stored VF tokens; idempotent",
        (parse, term) =>
        {
            var root = parse.GetValue(GlobalOptions.Root)!;
            bool dryRun = parse.GetValue(DryRun);
            if (!dryRun) RootChecks.RequireWritable(root, "apply");
            using var tree = HostTree.Open(root);
            var ops = CommandActions.Services(services, root, tree, AssignmentOptions.Execution(parse));
            var result = ApplyOperation.Run(PersistOptions.File(parse, ops.Kernel.Files), new ApplyRequest { DryRun = dryRun, Boot = parse.GetValue(Boot) }, ops);
            PersistWriter.WriteApply(term, result, parse.GetValue(GlobalOptions.Json), parse.GetValue(Boot));
            if (result.Entries.Any(e => e.Status == ApplyStatus.Failed)) return ExitCodes.Failed;
            return result.Converged ? ExitCodes.Success : ExitCodes.Refused;
        },
        DryRun, Boot, PersistOptions.Config, AssignmentOptions.StateDir);
}
