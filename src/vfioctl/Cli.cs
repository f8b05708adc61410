using System.CommandLine;
using Vfioctl.Commands;
using Vfioctl.Output;

namespace Vfioctl;

/// <summary>Builds the command tree and maps parse errors to exit code 2.</summary>
internal static class Cli
{
    /// <summary>The commands, in the order help lists them.</summary>
    private static readonly (string Name, Func<CliServices, Command> Create)[] Commands =
    [
        ("list", _ => ListCommand.Create()),
        ("groups", _ => GroupsCommand.Create()),
        ("show", _ => ShowCommand.Create()),
        ("snapshot", _ => SnapshotCommand.Create()),
        ("plan", _ => PlanCommand.Create()),
        ("bind", BindCommand.Create),
        ("restore", RestoreCommand.Create),
        ("unbind", UnbindCommand.Create),
        ("vm-args", _ => VmArgsCommand.Create()),
        ("reset", _ => ResetCommand.Create()),
        ("doctor", DoctorCommand.Create),
        ("sriov", SriovCommand.Create),
        ("persist", PersistCommand.Create),
        ("apply", ApplyCommand.Create),
        ("lab", _ => LabCommand.Create()),
        ("completion", _ => CompletionCommand.Create()),
    ];

    /// <summary>
    /// The command tree. With <paramref name="only"/> it holds just that subcommand: building every
    /// command's options costs more than the rest of a short command's start-up (each generic
    /// option type is compiled on first use), so a run names its command and pays for that one.
    /// </summary>
    public static RootCommand Build(string? only = null, CliServices? services = null)
    {
        services ??= CliServices.Real;
        var root = new RootCommand("vfioctl: see, assign and drive PCI devices through VFIO.");
        root.Options.Add(GlobalOptions.Root);
        root.Options.Add(GlobalOptions.Json);
        foreach (var (name, create) in Commands)
            if (only is null || only == name) root.Subcommands.Add(create(services));
        return root;
    }

    /// <summary>The subcommand the arguments name (the first word that is not a global option), if it is one of ours.</summary>
    internal static string? NamedCommand(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a == GlobalOptions.Root.Name) { i++; continue; }
            if (a == GlobalOptions.Json.Name || a.StartsWith(GlobalOptions.Root.Name + "=", StringComparison.Ordinal)) continue;
            return Array.Exists(Commands, c => c.Name == a) ? a : null;
        }
        return null;
    }

    /// <summary>Runs a command line; <paramref name="services"/> (the host's by default) is what the writing commands act through.</summary>
    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null, CliServices? services = null)
    {
        var root = Build(NamedCommand(args), services);
        // No SIGINT/SIGTERM hook: every action is synchronous, and a signal ends the process as the
        // runtime does by default (a bind cut short is what the journal is for).
        var config = new InvocationConfiguration { ProcessTerminationTimeout = null };
        config.Output = stdout ?? StandardStreams.Out;
        config.Error = stderr ?? StandardStreams.Error;
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            var err = config.Error;
            foreach (var e in parse.Errors) err.WriteLine($"vfioctl: {e.Message}");
            err.WriteLine("Run 'vfioctl --help' for usage.");
            return ExitCodes.Usage;
        }
        return parse.Invoke(config);
    }
}
