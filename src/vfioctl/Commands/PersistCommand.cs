using System.CommandLine;
using Vfio.Execution.Persistence;
using Vfio.Policy.Persistence;
using Vfioctl.Commands.Options;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary>
/// <c>vfioctl persist add|remove|list|rules</c>: the declared state that is assigned at every boot,
/// and the udev rule made from it (docs/persistence.md).
/// </summary>
internal static class PersistCommand
{
    private static readonly Argument<string[]> AddTargets = AssignmentOptions.Addresses("Devices to assign at every boot (their whole groups go, as with bind)");
    private static readonly Argument<string[]> RemoveTargets = AssignmentOptions.Addresses("Devices or PFs to declare no more (they stay as they are now)");
    private static readonly Option<bool> RemoveRules = new("--remove") { Description = "Delete the generated rule instead (no device is claimed early in boot; the declared state stays)" };

    public static Command Create(CliServices services)
    {
        var persist = new Command("persist", $"Declare what is assigned at every boot ({DeclaredStateFile.DefaultPath}) and keep the early-boot udev rule in step");
        persist.Subcommands.Add(CommandActions.Define("add",
            "Declare devices to be assigned at every boot (checked like bind; a refused device is not declared); does not bind now",
            (parse, term) => Add(parse, term, services),
            AddTargets, AssignmentOptions.Driver, AssignmentOptions.Fence, AssignmentOptions.Force, PersistOptions.Config, AssignmentOptions.StateDir));
        persist.Subcommands.Add(CommandActions.Define("remove",
            "Declare devices or PFs no more and regenerate the rule; they stay bound until 'vfioctl restore'",
            (parse, term) => Change(parse, term, services, "persist remove", (file, ops) =>
                PersistOperation.Remove(AssignmentOptions.RequiredTargets(parse, RemoveTargets), file, ops),
                "They stay as they are until the next boot: 'vfioctl restore ADDRESS' gives them back now."),
            RemoveTargets, PersistOptions.Config, AssignmentOptions.StateDir));
        persist.Subcommands.Add(CommandActions.Define("list",
            "Show what is declared beside what the host has now (drift, and devices that are not the declared ones)",
            (parse, term) =>
            {
                var root = parse.GetValue(GlobalOptions.Root)!;
                using var tree = HostTree.Open(root);
                var files = services.Kernel(tree.Directory).Files;
                var file = PersistOptions.File(parse, files);
                var (_, rows, warnings) = PersistList.Read(file, files);
                CommandActions.Warn(term, warnings);
                PersistWriter.WriteList(term, file.HostPath, rows, parse.GetValue(GlobalOptions.Json));
                return ExitCodes.Success;
            },
            PersistOptions.Config));
        persist.Subcommands.Add(CommandActions.Define("rules",
            $"Regenerate the early-boot udev rule ({UdevRules.Path}) from the declared state, or --remove it",
            (parse, term) => Change(parse, term, services, "persist rules", (file, ops) =>
                PersistOperation.Rules(file, ops, parse.GetValue(RemoveRules)), null),
            RemoveRules, PersistOptions.Config, AssignmentOptions.StateDir));
        return persist;
    }

    private static int Add(ParseResult parse, Terminal term, CliServices services)
    {
        var request = AssignmentOptions.Request(parse, AddTargets);
        bool json = parse.GetValue(GlobalOptions.Json);
        var root = RootChecks.RequireWritable(parse.GetValue(GlobalOptions.Root)!, "persist add");
        using var tree = HostTree.Open(root);
        var ops = CommandActions.Services(services, root, tree, AssignmentOptions.Execution(parse));
        var file = PersistOptions.File(parse, ops.Kernel.Files);
        var outcome = PersistOperation.AddDevices(request, file, ops);
        if (!outcome.Refused.IsEmpty)
        {
            using var view = HostView.Open(root);
            foreach (var plan in outcome.Refused) PlanWriter.Write(term, view, plan, json);
            if (!json) term.Error.WriteLine($"vfioctl: nothing was declared: the boot rule would take {(outcome.Refused.Length == 1 ? "this device" : "these devices")} without asking, so what bind refuses is not declared either.");
            return ExitCodes.Refused;
        }
        PersistWriter.Write(term, outcome, file.HostPath, json,
            $"Declared; not bound now: 'vfioctl apply' (or 'vfioctl bind {string.Join(' ', request.Targets)}') assigns {(request.Targets.Length == 1 ? "it" : "them")} before the next boot.");
        return ExitCodes.Success;
    }

    private static int Change(ParseResult parse, Terminal term, CliServices services, string command,
        Func<DeclaredStateFile, Vfio.Execution.Operations.OperationServices, PersistOutcome> run, string? hint)
    {
        var root = RootChecks.RequireWritable(parse.GetValue(GlobalOptions.Root)!, command);
        using var tree = HostTree.Open(root);
        var ops = CommandActions.Services(services, root, tree, AssignmentOptions.Execution(parse));
        var file = PersistOptions.File(parse, ops.Kernel.Files);
        var outcome = run(file, ops);
        PersistWriter.Write(term, outcome, file.HostPath, parse.GetValue(GlobalOptions.Json), outcome.Touched.IsEmpty ? null : hint);
        return outcome.NotDeclared.IsEmpty || !outcome.Touched.IsEmpty ? ExitCodes.Success : ExitCodes.Failed;
    }

    /// <summary>bind --persist and sriov enable --persist: declare what was just done; prints what the rule claims.</summary>
    public static void AfterChange(ParseResult parse, Terminal term, Func<DeclaredStateFile, PersistOutcome> declare, Vfio.Host.Sysfs.HostFiles files)
    {
        var file = PersistOptions.File(parse, files);
        var outcome = declare(file);
        if (parse.GetValue(GlobalOptions.Json)) return;
        PersistWriter.Write(term, outcome, file.HostPath, json: false);
    }
}
