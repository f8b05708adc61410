using System.Globalization;
using System.Text.Json;
using Vfio.Execution.Operations;
using Vfio.Execution.Sriov;
using Vfio.Policy.Sriov;

namespace Vfioctl.Output;

/// <summary>What an SR-IOV enable or disable did, and the whole run's output and exit code.</summary>
internal static class SriovResultWriter
{
    public static void WriteJson(Utf8JsonWriter w, SriovResult r)
    {
        w.WriteStartObject();
        w.Outcome(r.Succeeded, r.Error, r.RolledBack);
        w.WriteString("pf", r.Pf.ToString());
        w.StringOrNull("pfDriverBefore", r.PfDriverBefore);
        w.StringOrNull("pfDriverAfter", r.PfDriverAfter);
        w.WriteNumber("vfsBefore", r.VfsBefore);
        w.NumberOrNull("vfsAfter", r.VfsAfter);
        w.WriteStartArray("vfs");
        foreach (var v in r.Vfs)
        {
            w.WriteStartObject();
            w.WriteString("address", v.Address.ToString());
            w.StringOrNull("driver", v.Driver);
            w.NumberOrNull("iommuGroup", v.Group);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.BoolOrNull("tokenApplied", r.TokenApplied);
        w.Strings("notes", r.Notes);
        w.Strings("log", r.Log);
        w.WriteEndObject();
    }

    public static void WriteText(Terminal term, SriovResult r)
    {
        var o = term.Out;
        o.WriteLine(r.Succeeded ? "Done:" : "Failed:");
        o.WriteLine($"  {r.Pf}: {r.PfDriverBefore ?? "no driver"} -> {r.PfDriverAfter ?? (r.VfsAfter is null ? "unknown" : "no driver")}, VFs {r.VfsBefore} -> {(r.VfsAfter is { } n ? n.ToString(CultureInfo.InvariantCulture) : "unknown (a write is still in the kernel)")}");
        foreach (var v in r.Vfs)
            o.WriteLine($"  {v.Address}  {v.Driver ?? "no driver",-10} group {(v.Group is { } g ? g.ToString(CultureInfo.InvariantCulture) : "-")}");
        foreach (var note in r.Notes) o.WriteLine($"note: {note}");
        if (!r.Succeeded)
        {
            term.Error.WriteLine($"vfioctl: {r.Error}");
            if (r.RolledBack) term.Error.WriteLine("Everything this run changed was put back as it was.");
            else foreach (var l in r.Log.Where(l => l.Contains("failed", StringComparison.Ordinal))) term.Error.WriteLine("  " + l);
        }
    }

    /// <summary>
    /// The output of an enable or disable run. JSON: <c>{"plan": ..., "result": ...}</c> (result null
    /// when not applied). Text: the plan (printed by the command before applying), then the result.
    /// </summary>
    public static int Write(Terminal term, HostView view, OperationResult<SriovPlan, SriovResult> run, bool json)
    {
        var (plan, result) = (run.Plan, run.Outcome);
        if (json)
            Json.Write(term.Out, w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("plan");
                SriovPlanWriter.WriteJson(w, plan);
                if (result is null) w.WriteNull("result");
                else
                {
                    w.WritePropertyName("result");
                    WriteJson(w, result);
                }
                w.WriteEndObject();
            });
        if (result is null)
        {
            if (!json) SriovPlanWriter.WriteText(term, view, plan);
            return plan.CanApply ? ExitCodes.Success : ExitCodes.Refused;
        }
        if (!json)
        {
            WriteText(term, result);
            if (result.Succeeded && plan.Steps.Length > 0)
                term.Out.WriteLine($"Undo with: vfioctl restore {plan.Pf}");
        }
        return !result.Succeeded || result.TokenApplied == false ? ExitCodes.Failed : ExitCodes.Success;
    }
}
