namespace Vfioctl.Output;

/// <summary>Colours for verdicts (shown only on a terminal).</summary>
internal static class Styles
{
    public static string Verdict(string verdict) => verdict switch
    {
        "assigned" => "[green]assigned[/]",
        "viable" => "[green]viable[/]",
        "blocked" => "[red]blocked[/]",
        _ => $"[grey]{Spectre.Console.Markup.Escape(verdict)}[/]",
    };
}
