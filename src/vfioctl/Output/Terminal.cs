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
        IsTty = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected;
        var settings = new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = IsTty ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = IsTty && Environment.GetEnvironmentVariable("NO_COLOR") is null ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        };
        Console = AnsiConsole.Create(settings);
        if (!IsTty) Console.Profile.Width = 400;
    }

    public TextWriter Out { get; }
    public TextWriter Error { get; }
    public bool IsTty { get; }
    public IAnsiConsole Console { get; }

    public void Warn(string message) => Error.WriteLine($"warning: {message}");
}
