using Spectre.Console;

namespace Vfioctl.Output;

/// <summary>
/// Where a command writes: plain text for pipes, colour and borders only on a terminal
/// (and never when NO_COLOR is set).
/// </summary>
internal sealed class Terminal
{
    public Terminal(TextWriter output, TextWriter error)
    {
        Out = output;
        Error = error;
        IsTty = StandardStreams.IsTerminal(output);
        // Created on first use: JSON output never pays for the rendering library.
        _console = new Lazy<IAnsiConsole>(() =>
        {
            var settings = new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(output),
                Ansi = IsTty ? AnsiSupport.Detect : AnsiSupport.No,
                ColorSystem = IsTty && Environment.GetEnvironmentVariable("NO_COLOR") is null ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
            };
            var console = AnsiConsole.Create(settings);
            if (!IsTty) console.Profile.Width = 400;
            return console;
        });
    }

    private readonly Lazy<IAnsiConsole> _console;

    public TextWriter Out { get; }
    public TextWriter Error { get; }
    public bool IsTty { get; }
    public IAnsiConsole Console => _console.Value;

    public void Warn(string message) => Error.WriteLine($"warning: {message}");
}
