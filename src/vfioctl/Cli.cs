using System.CommandLine;
using Vfioctl.Commands;

namespace Vfioctl;

/// <summary>Builds the command tree and maps parse errors to exit code 2.</summary>
internal static class Cli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("vfioctl: see, assign and drive PCI devices through VFIO.");
        root.Options.Add(GlobalOptions.Root);
        root.Options.Add(GlobalOptions.Json);
        root.Subcommands.Add(ListCommand.Create());
        root.Subcommands.Add(GroupsCommand.Create());
        root.Subcommands.Add(ShowCommand.Create());
        root.Subcommands.Add(SnapshotCommand.Create());
        root.Subcommands.Add(PlanCommand.Create());
        root.Subcommands.Add(BindCommand.Create());
        root.Subcommands.Add(RestoreCommand.Create());
        root.Subcommands.Add(UnbindCommand.Create());
        root.Subcommands.Add(SriovCommand.Create());
        root.Subcommands.Add(LabCommand.Create());
        return root;
    }

    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var root = Build();
        var config = new InvocationConfiguration();
        if (stdout is not null) config.Output = stdout;
        if (stderr is not null) config.Error = stderr;
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            var err = stderr ?? Console.Error;
            foreach (var e in parse.Errors) err.WriteLine($"vfioctl: {e.Message}");
            err.WriteLine("Run 'vfioctl --help' for usage.");
            return ExitCodes.Usage;
        }
        return parse.Invoke(config);
    }
}
