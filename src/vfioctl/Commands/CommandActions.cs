using System.CommandLine;
using Vfio.Execution.Assignment;
using Vfio.Execution.Operations;
using Vfio.Host.Reading;
using Vfioctl.Commands.Options;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary>How a command runs: its terminal, the host or the operation services it works on, and exit codes for exceptions.</summary>
internal static class CommandActions
{
    public static Terminal TerminalFor(ParseResult parse) =>
        new(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);

    /// <summary>Runs a read command against the host named by --root.</summary>
    public static int WithHost(ParseResult parse, Func<Terminal, HostView, bool, int> body, HostReadOptions? options = null)
    {
        var term = TerminalFor(parse);
        return Guard(term, () =>
        {
            using var view = HostView.Open(parse.GetValue(GlobalOptions.Root)!, options);
            bool json = parse.GetValue(GlobalOptions.Json);
            if (!json)
            {
                foreach (var w in view.Host.Warnings) term.Warn(w);
            }
            return body(term, view, json);
        });
    }

    /// <summary>
    /// The services an operation runs with: the kernel behind the tree --root names (a directory, or
    /// a snapshot unpacked for a dry run), the token applier for that root, and the state options.
    /// </summary>
    public static OperationServices Services(CliServices cli, string root, HostTree tree, ExecutionOptions options) => new()
    {
        Kernel = cli.Kernel(tree.Directory),
        Options = options,
        TokenApplier = cli.TokenApplier(root),
    };

    /// <summary>Prints an operation's warnings (stderr, in both modes).</summary>
    public static void Warn(Terminal term, IEnumerable<string> warnings)
    {
        foreach (var w in warnings) term.Warn(w);
    }

    /// <summary>
    /// A command with its arguments and options (in the order given, as help lists them) whose action
    /// runs <paramref name="run"/> through <see cref="SetGuardedAction"/>.
    /// </summary>
    public static Command Define(string name, string description, Func<ParseResult, Terminal, int> run, params Symbol[] symbols)
    {
        var cmd = new Command(name, description);
        foreach (var s in symbols)
        {
            if (s is Argument a) cmd.Arguments.Add(a);
            else cmd.Options.Add((Option)s);
        }
        SetGuardedAction(cmd, run);
        return cmd;
    }

    /// <summary>Sets a command's action: its terminal, with exceptions mapped to exit codes by <see cref="Guard"/>.</summary>
    public static void SetGuardedAction(Command command, Func<ParseResult, Terminal, int> run) =>
        command.SetAction(parse =>
        {
            var term = TerminalFor(parse);
            return Guard(term, () => run(parse, term));
        });

    public static int Guard(Terminal term, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            term.Error.WriteLine($"vfioctl: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is NotFoundException or NeedsRootException or InvalidDataException or Vfio.Policy.Persistence.DeclaredStateFormatException)
        {
            term.Error.WriteLine($"vfioctl: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            term.Error.WriteLine($"vfioctl: {e.Message}");
            return ExitCodes.Failed;
        }
    }
}
