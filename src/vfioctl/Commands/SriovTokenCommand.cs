using System.CommandLine;
using Vfio;
using Vfio.Execution.Operations;
using Vfioctl.Commands.Options;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary>
/// <c>vfioctl sriov token PF [--generate | --set UUID|- | --clear] [--show-token]</c>: the PF's VF
/// token, kept in a root-only file in the state directory and set in the kernel when the PF is on
/// vfio-pci. The token is printed only with <c>--show-token</c>.
/// </summary>
internal static class SriovTokenCommand
{
    private static readonly Argument<string> Pf = SriovOptions.Pf();
    private static readonly Option<bool> Generate = new("--generate") { Description = "Make a new random token (UUID v4), store it, and set it in the kernel if the PF is on vfio-pci" };
    private static readonly Option<string?> Set = new("--set") { Description = "Use this token (a 36-character UUID), or '-' to read it from standard input (it then stays out of the process list)" };
    private static readonly Option<bool> Clear = new("--clear") { Description = "Forget the stored token (the kernel keeps its own until vfio-pci lets the PF go)" };
    private static readonly Option<bool> ShowToken = new("--show-token") { Description = "Print the token itself (it is a secret: nothing else ever prints it)" };

    public static Command Create(CliServices services) => CommandActions.Define("token",
        "Show, generate, set or clear a PF's VF token (the secret its VFs are opened with under a vfio-pci PF)",
        (parse, term) => Run(parse, term, services), Pf, Generate, Set, Clear, ShowToken, AssignmentOptions.StateDir);

    private static int Run(ParseResult parse, Terminal term, CliServices services)
    {
        var pf = SriovOptions.ParsePf(parse.GetValue(Pf));
        var setText = parse.GetValue(Set);
        bool generate = parse.GetValue(Generate), clear = parse.GetValue(Clear), show = parse.GetValue(ShowToken), json = parse.GetValue(GlobalOptions.Json);
        if ((generate ? 1 : 0) + (setText is null ? 0 : 1) + (clear ? 1 : 0) > 1)
            throw new UsageException("give one of --generate, --set and --clear.");
        VfToken? token = null;
        if (setText is not null)
        {
            var text = setText == "-" ? Console.In.ReadLine()?.Trim() : setText;
            token = VfToken.TryParse(text, out var t) ? t : throw new UsageException($"--set: not a VF token; expected {VfToken.ExpectedForm} (or --generate for a random one).");
        }
        else if (generate) token = VfToken.Generate();

        var root = RootChecks.RequireWritable(parse.GetValue(GlobalOptions.Root)!, "sriov token");
        using var tree = HostTree.Open(root);
        var ops = CommandActions.Services(services, root, tree, SriovOptions.Execution(parse, withTimeout: false));
        var outcome = token is { } newToken ? VfTokenOperation.Set(pf, newToken, ops)
            : clear ? VfTokenOperation.Clear(pf, ops)
            : VfTokenOperation.Status(pf, ops);
        var (result, entry) = (outcome.Result, outcome.Stored);

        // Only the token this run stored (or the stored one for a status), and only when asked.
        string? reveal = show && entry is not null && (token is null || entry.Token == token) ? entry.Token.Reveal() : null;
        if (json)
        {
            Json.Write(term.Out, w =>
            {
                w.WriteStartObject();
                w.WriteString("pf", pf.ToString());
                w.WriteBoolean("stored", entry is not null);
                w.StringOrNull("setUtc", entry?.SetUtc.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                w.BoolOrNull("applied", result.Applied);
                w.WriteString("message", result.Message);
                w.StringOrNull("token", reveal);
                w.WriteEndObject();
            });
        }
        else
        {
            term.Out.WriteLine($"VF token of {pf}: {result.Message}");
            if (reveal is not null) term.Out.WriteLine(reveal);
        }
        bool failed = token is not null && (!result.Stored || result.Applied == false);
        if (failed && !json) term.Error.WriteLine($"vfioctl: the VF token of {pf} is not set in the kernel.");
        return failed ? ExitCodes.Failed : ExitCodes.Success;
    }
}
