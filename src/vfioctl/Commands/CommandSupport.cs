using System.CommandLine;
using Vfio.Execution.Kernel;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary>Shared plumbing: the terminal, opening the host, and mapping exceptions to exit codes.</summary>
internal static class CommandSupport
{
    /// <summary>
    /// Stands in for the kernel behind <c>--root</c> for the commands that write (tests run them
    /// against a simulated kernel); per async flow, so parallel tests do not see each other's.
    /// </summary>
    internal static readonly AsyncLocal<Func<string, IKernel>?> KernelOverride = new();

    /// <summary>The kernel the writing commands use: sysfs under <paramref name="root"/>.</summary>
    public static IKernel KernelFor(string root) =>
        KernelOverride.Value is { } make ? make(root) : new SysfsKernel(new HostFiles(root));

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
