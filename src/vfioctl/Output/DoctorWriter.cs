using Vfio.Policy.Diagnosis;

namespace Vfioctl.Output;

/// <summary>doctor's report: the host's findings, then each device's, then the count; or the documented JSON.</summary>
internal static class DoctorWriter
{
    public static void Write(Terminal term, HostView view, DoctorReport report, bool json)
    {
        if (json)
        {
            Json.Write(term.Out, w =>
            {
                w.WriteStartObject();
                w.StringOrNull("kernel", view.Host.KernelRelease);
                w.WriteBoolean("healthy", report.Healthy);
                w.WriteNumber("problems", report.Count(Severity.Problem));
                w.WriteNumber("warnings", report.Count(Severity.Warning));
                w.WriteStartArray("findings");
                foreach (var f in report.Findings)
                {
                    w.WriteStartObject();
                    w.WriteString("check", f.Check);
                    w.WriteString("severity", Name(f.Severity));
                    w.StringOrNull("device", f.Device?.ToString());
                    w.WriteString("summary", f.Summary);
                    w.Strings("details", f.Details);
                    w.StringOrNull("fix", f.Fix);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return;
        }

        var o = term.Out;
        o.WriteLine("host:");
        foreach (var f in report.Findings.Where(f => f.Device is null || f.Check is Checks.Journal or Checks.Declared)) WriteFinding(o, f, withDevice: f.Device is not null);
        foreach (var a in report.Devices)
        {
            var findings = report.Findings.Where(f => f.Device == a && f.Check is not (Checks.Journal or Checks.Declared)).ToList();
            if (findings.Count == 0) continue;
            var d = view.Host.FindDevice(a);
            o.WriteLine();
            o.WriteLine(d is null ? $"{a}:" : $"{a} {view.Describe(d)} ({d.Driver ?? "no driver"}, IOMMU group {d.IommuGroup?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}):");
            foreach (var f in findings) WriteFinding(o, f, withDevice: false);
        }
        o.WriteLine();
        int problems = report.Count(Severity.Problem), warnings = report.Count(Severity.Warning);
        o.WriteLine(problems == 0
            ? $"No problems{(warnings > 0 ? $", {warnings} warning(s)" : "")}."
            : $"{problems} problem(s){(warnings > 0 ? $", {warnings} warning(s)" : "")}: fix them for assignment to work.");
    }

    private static void WriteFinding(TextWriter o, Finding f, bool withDevice)
    {
        o.WriteLine($"  {Label(f.Severity),-7} {f.Check,-20} {(withDevice ? f.Device + ": " : "")}{f.Summary}");
        foreach (var d in f.Details) o.WriteLine($"  {"",-7} {"",-20} {d}");
        if (f.Fix is { } fix) o.WriteLine($"  {"",-7} {"",-20} fix: {fix}");
    }

    private static string Label(Severity s) => s switch
    {
        Severity.Ok => "ok",
        Severity.Info => "info",
        Severity.Warning => "WARN",
        _ => "PROBLEM",
    };

    public static string Name(Severity s) => s switch
    {
        Severity.Ok => "ok",
        Severity.Info => "info",
        Severity.Warning => "warning",
        _ => "problem",
    };
}
