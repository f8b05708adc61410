using System.CommandLine;
using Vfio.Host.Reading;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary>Shared plumbing: the terminal, opening the host, and mapping exceptions to exit codes.</summary>
internal static class CommandSupport
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
        catch (Exception e) when (e is NotFoundException or NeedsRootException or InvalidDataException)
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
