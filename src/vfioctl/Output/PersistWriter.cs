using System.Text.Json;
using Vfio.Execution.Persistence;

namespace Vfioctl.Output;

/// <summary>Renders what the persist commands and apply did, in text and --json (docs/json-schema.md).</summary>
internal static class PersistWriter
{
    public static void Write(Terminal term, PersistOutcome o, string config, bool json, string? hint = null)
    {
        if (json)
        {
            Json.Write(term.Out, w =>
            {
                w.WriteStartObject();
                w.WriteString("config", config);
                w.WriteString("rules", o.RulesPath);
                w.WriteBoolean("rulesChanged", o.RulesChanged);
                w.Strings("changed", o.Touched.Select(a => a.ToString()));
                w.Strings("notDeclared", o.NotDeclared.Select(a => a.ToString()));
                w.WriteStartArray("claims");
                foreach (var c in o.Claims.OrderBy(c => c.Address))
                {
                    w.WriteStartObject();
                    w.WriteString("address", c.Address.ToString());
                    w.StringOrNull("ids", c.Identity?.Ids);
                    w.WriteString("driver", c.Driver);
                    w.WriteString("module", c.Module);
                    w.WriteString("why", c.Why);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.Strings("notes", o.Notes);
                w.Strings("warnings", o.Warnings);
                w.WriteEndObject();
            });
            return;
        }
        foreach (var a in o.NotDeclared) term.Warn($"{a} is not declared in {config}.");
        foreach (var w in o.Warnings) term.Warn(w);
        term.Out.WriteLine($"Declared state: {config} ({o.State.Devices.Length} device(s), {o.State.Sriov.Length} SR-IOV PF(s)).");
        if (o.Claims.Count == 0)
            term.Out.WriteLine($"Boot rule: none ({o.RulesPath} {(o.RulesChanged ? "removed" : "absent")}): no device is claimed early in boot.");
        else
        {
            term.Out.WriteLine($"Boot rule: {o.RulesPath} {(o.RulesChanged ? "written" : "unchanged")}, claims {o.Claims.Count} device(s) on their PCI add event:");
            foreach (var c in o.Claims.OrderBy(c => c.Address))
                term.Out.WriteLine($"  {c.Address}  {c.Identity?.Ids ?? "?"}  -> {c.Driver}  ({c.Why})");
        }
        foreach (var n in o.Notes) term.Out.WriteLine($"note: {n}");
        if (o.RulesChanged && File.Exists("/usr/share/initramfs-tools/hooks/vfioctl"))
            term.Out.WriteLine("The initramfs carries the rule: run 'update-initramfs -u' so devices are claimed there too.");
        if (hint is not null) term.Out.WriteLine(hint);
    }

    public static string StatusWord(ApplyStatus s) => s switch
    {
        ApplyStatus.InPlace => "in place",
        ApplyStatus.Changed => "changed",
        ApplyStatus.WouldChange => "would change",
        ApplyStatus.Refused => "refused",
        ApplyStatus.Failed => "failed",
        ApplyStatus.IdentityMismatch => "not the declared device",
        ApplyStatus.Missing => "missing",
        ApplyStatus.Moved => "moved",
        _ => s.ToString(),
    };

    private static string JsonStatus(ApplyStatus s) => s switch
    {
        ApplyStatus.InPlace => "in-place",
        ApplyStatus.WouldChange => "would-change",
        ApplyStatus.IdentityMismatch => "identity-mismatch",
        _ => s.ToString().ToLowerInvariant(),
    };

    /// <summary>The one line <c>apply</c> ends with (all that <c>--boot</c> prints on stdout, for the journal).</summary>
    public static string Summary(ApplyResult r)
    {
        int problems = r.Entries.Count(e => e.IsProblem);
        if (r.Entries.IsEmpty) return $"vfioctl apply: nothing is declared in {r.Source}.";
        if (r.NothingChanged && problems == 0)
            return $"vfioctl apply: nothing to change, all {r.Entries.Length} declared entries in place ({r.Source}).";
        string changed = r.DryRun ? $"{r.Count(ApplyStatus.WouldChange)} would change" : $"{r.Count(ApplyStatus.Changed)} changed";
        var parts = new List<string> { changed, $"{r.Count(ApplyStatus.InPlace)} in place" };
        foreach (var s in new[] { ApplyStatus.Refused, ApplyStatus.Failed, ApplyStatus.IdentityMismatch, ApplyStatus.Missing, ApplyStatus.Moved })
            if (r.Count(s) > 0) parts.Add($"{r.Count(s)} {StatusWord(s)}");
        return $"vfioctl apply{(r.DryRun ? " (dry run)" : "")}: {r.Entries.Length} declared entries: {string.Join(", ", parts)} ({r.Source}).";
    }

    public static void WriteApply(Terminal term, ApplyResult r, bool json, bool boot)
    {
        if (json)
        {
            Json.Write(term.Out, w =>
            {
                w.WriteStartObject();
                w.WriteString("source", r.Source);
                w.WriteBoolean("dryRun", r.DryRun);
                w.WriteBoolean("converged", r.Converged);
                w.WriteBoolean("nothingChanged", r.NothingChanged);
                w.WriteStartArray("entries");
                foreach (var e in r.Entries)
                {
                    w.WriteStartObject();
                    w.WriteString("kind", e.Kind);
                    w.WriteString("address", e.Address.ToString());
                    w.WriteNumber("line", e.Line);
                    w.WriteString("status", JsonStatus(e.Status));
                    w.WriteString("detail", e.Detail);
                    w.StringOrNull("movedTo", e.MovedTo?.ToString());
                    if (e.Plan is { } plan) RefusalWriter.WriteJson(w, plan.Blocking);
                    else if (e.SriovPlan is { } sp) RefusalWriter.WriteJson(w, sp.Blocking);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.Strings("warnings", r.Warnings);
                w.WriteEndObject();
            });
            return;
        }
        foreach (var warning in r.Warnings) term.Warn(warning);
        foreach (var e in r.Entries)
        {
            string line = $"{e.Address}  {e.Kind,-8}  {StatusWord(e.Status)}: {e.Detail}";
            if (!boot) term.Out.WriteLine(line);
            else if (e.IsProblem) term.Error.WriteLine(line);
        }
        term.Out.WriteLine(Summary(r));
    }

    public static void WriteList(Terminal term, string config, IReadOnlyList<PersistRow> rows, bool json)
    {
        if (json)
        {
            Json.Write(term.Out, w =>
            {
                w.WriteStartObject();
                w.WriteString("config", config);
                w.WriteStartArray("entries");
                foreach (var r in rows)
                {
                    w.WriteStartObject();
                    w.WriteString("kind", r.Kind);
                    w.WriteString("address", r.Address.ToString());
                    w.WriteNumber("line", r.Line);
                    w.WriteString("declared", r.Declared);
                    w.StringOrNull("actual", r.Actual);
                    w.StringOrNull("identityProblem", r.IdentityProblem);
                    w.StringOrNull("drift", r.Drift);
                    w.WriteBoolean("inPlace", r.Drift is null && r.IdentityProblem is null);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return;
        }
        if (rows.Count == 0)
        {
            term.Out.WriteLine($"Nothing is declared in {config}: 'vfioctl persist add ADDRESS' or 'vfioctl bind ADDRESS --persist' declares a device.");
            return;
        }
        term.Out.WriteLine($"Declared in {config}:");
        foreach (var r in rows)
        {
            string state = r.IdentityProblem is { } id ? $"NOT THE DECLARED DEVICE: {id}"
                : r.Drift is { } drift ? $"drift: {drift}" : "in place";
            term.Out.WriteLine($"  {r.Address}  {r.Kind,-6}  declared {r.Declared}; now {r.Actual ?? "absent"}; {state}");
        }
        int off = rows.Count(r => r.Drift is not null || r.IdentityProblem is not null);
        if (off > 0) term.Out.WriteLine($"{off} of {rows.Count} entries differ from the host: 'vfioctl apply' converges it (--dry-run shows how).");
    }
}
