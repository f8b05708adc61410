using System.Collections.Immutable;
using System.Text.Json;
using Vfio;
using Vfio.Execution.Assignment;
using Vfio.Policy.Assignment;

namespace Vfioctl.Output;

/// <summary>
/// What bind, restore and unbind did: each device's driver before and after. Restore and unbind
/// also show their refusals: a refused run prints only those (exit 3), a run that happened carries
/// the refusals it overrode (docs/json-schema.md).
/// </summary>
internal static class ResultWriter
{
    /// <summary>The result object; with <paramref name="refusals"/> (restore, unbind) a <c>refusals</c> array too.</summary>
    public static void WriteJson(Utf8JsonWriter w, ExecutionResult r, IEnumerable<Refusal>? refusals = null)
    {
        w.WriteStartObject();
        w.Outcome(r.Succeeded, r.Error, r.RolledBack);
        w.WriteStartArray("devices");
        foreach (var d in r.Devices)
        {
            w.WriteStartObject();
            w.WriteString("address", d.Address.ToString());
            w.StringOrNull("before", d.Before);
            w.StringOrNull("after", d.After);
            w.WriteString("message", d.Message);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.Strings("log", r.Log);
        if (refusals is not null) RefusalWriter.WriteJson(w, refusals);
        w.WriteEndObject();
    }

    public static void WriteText(Terminal term, ExecutionResult r)
    {
        foreach (var d in r.Devices)
            term.Out.WriteLine($"  {d.Address}: {d.Before ?? "no driver"} -> {d.After ?? "no driver"} ({d.Message})");
        if (!r.Succeeded)
        {
            term.Error.WriteLine($"vfioctl: {r.Error}");
            if (r.RolledBack) term.Error.WriteLine("Everything this run changed was put back as it was.");
            else if (r.Log.Length > 0) foreach (var l in r.Log.Where(l => l.Contains("failed"))) term.Error.WriteLine("  " + l);
        }
    }

    /// <summary>
    /// A restore or unbind: when refused, the refusals (text on stderr, where these commands have
    /// always explained a refusal; JSON on stdout) and exit 3; else the result.
    /// </summary>
    public static int WriteRelease(Terminal term, bool json, ImmutableArray<PciAddress> devices, ImmutableArray<Refusal> refusals, bool? force,
        ExecutionResult? result)
    {
        if (result is null)
        {
            if (json)
                Json.Write(term.Out, w =>
                {
                    w.WriteStartObject();
                    w.WriteBoolean("canApply", false);
                    if (force is { } f) w.WriteBoolean("force", f);
                    w.WriteStartArray("devices");
                    foreach (var d in devices) w.WriteStringValue(d.ToString());
                    w.WriteEndArray();
                    RefusalWriter.WriteJson(w, refusals);
                    w.WriteEndObject();
                });
            else RefusalWriter.WriteText(term.Error, refusals, force ?? false);
            return ExitCodes.Refused;
        }
        if (json) Json.Write(term.Out, w => WriteJson(w, result, refusals));
        else
        {
            if (force == true) RefusalWriter.WriteText(term.Out, refusals, true);
            WriteText(term, result);
        }
        return result.Succeeded ? ExitCodes.Success : ExitCodes.Failed;
    }
}
