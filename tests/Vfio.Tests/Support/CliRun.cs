using System.Text.Json;

namespace Vfio.Tests.Support;

/// <summary>Runs vfioctl in-process and captures what it prints.</summary>
public sealed record CliResult(int ExitCode, string Out, string Err)
{
    public JsonDocument Json() => JsonDocument.Parse(Out);
}

public static class CliRun
{
    public static CliResult Run(params string[] args) => Run(Vfioctl.CliServices.Real, args);

    /// <summary>vfioctl acting through <paramref name="services"/> (a simulated kernel, a simulated token applier).</summary>
    internal static CliResult Run(Vfioctl.CliServices services, string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Vfioctl.Cli.Run(args, o, e, services);
        return new CliResult(code, o.ToString(), e.ToString());
    }
}
