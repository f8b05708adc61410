using System.Text.Json;
using Vfio.Policy.Assignment;
using Vfio.Policy.Vm;

namespace Vfioctl.Output;

/// <summary>An assignment plan (plan, bind): per group, each member's move and why; modules; notes; refusals.</summary>
internal static class PlanWriter
{
    public static void Write(Terminal term, HostView view, AssignmentPlan plan, bool json)
    {
        var bars = BarText.OfPlan(view, plan);
        if (json)
        {
            Json.Write(term.Out, w => WriteJson(w, plan, bars));
            return;
        }
        var o = term.Out;
        foreach (var g in plan.Groups)
        {
            var steps = plan.Steps.Where(s => s.Group == g).ToList();
            o.WriteLine($"Group {g} ({steps.Count} device{(steps.Count == 1 ? "" : "s")}):");
            foreach (var s in steps)
            {
                var d = view.Host.FindDevice(s.Address);
                var move = s.Action == StepAction.Keep ? $"stays on {s.FromDriver ?? "no driver"}" : $"{s.FromDriver ?? "no driver"} -> {s.ToDriver}";
                o.WriteLine($"  {ActionWord(s.Action),-5} {s.Address} {(d is null ? "" : view.Describe(d))}");
                o.WriteLine($"        {move}: {s.Reason}");
            }
            if (bars.FirstOrDefault(b => b.Group == g) is { Bar64Total: > 0 } gb)
            {
                o.WriteLine($"  64-bit BARs for userspace: {MmioWindow.Human(gb.Bar64Total)} ({string.Join(", ", gb.Devices.Where(d => MmioWindow.Sum64(d) > 0).Select(d => $"{d.Address} {MmioWindow.Human(MmioWindow.Sum64(d))}"))})");
                if (gb.LargeBars is { } large) o.WriteLine($"  note: {large}");
            }
        }
        if (plan.Modules.Length > 0)
        {
            o.WriteLine("Modules to load:");
            foreach (var m in plan.Modules) o.WriteLine($"  {m.Module}: {m.Reason}");
        }
        foreach (var n in plan.Notes) o.WriteLine($"note: {n}");
        RefusalWriter.WriteText(o, plan.Refusals, plan.Request.Force);
    }

    private static string ActionWord(StepAction a) => a switch { StepAction.Move => "bind", StepAction.Fence => "fence", _ => "keep" };

    public static void WriteJson(Utf8JsonWriter w, AssignmentPlan plan, IReadOnlyList<GroupBars>? bars = null)
    {
        w.WriteStartObject();
        w.WriteBoolean("canApply", plan.CanApply);
        w.WriteBoolean("force", plan.Request.Force);
        w.WriteBoolean("noIommuMode", plan.EnableNoIommuMode);
        w.WriteString("driver", plan.Request.Driver.Value);
        w.WriteStartArray("groups");
        foreach (var g in plan.Groups) w.WriteNumberValue(g);
        w.WriteEndArray();
        w.WriteStartArray("steps");
        foreach (var s in plan.Steps)
        {
            w.WriteStartObject();
            w.WriteString("address", s.Address.ToString());
            if (s.Group >= 0) w.WriteNumber("group", s.Group); else w.WriteNull("group");
            w.WriteString("action", ActionWord(s.Action));
            w.StringOrNull("from", s.FromDriver);
            w.StringOrNull("to", s.Action == StepAction.Keep ? s.FromDriver : s.ToDriver);
            w.StringOrNull("module", s.Action == StepAction.Keep ? null : s.ToModule);
            w.WriteString("reason", s.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("modules");
        foreach (var m in plan.Modules)
        {
            w.WriteStartObject();
            w.WriteString("module", m.Module);
            w.WriteStartArray("parameters");
            foreach (var p in m.Parameters) w.WriteStringValue(p);
            w.WriteEndArray();
            w.WriteString("reason", m.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        RefusalWriter.WriteJson(w, plan.Refusals);
        BarConflictText.WriteJson(w, plan);
        w.WriteStartArray("bars");
        foreach (var gb in bars ?? [])
        {
            w.WriteStartObject();
            w.WriteNumber("group", gb.Group);
            w.WriteNumber("bar64Total", gb.Bar64Total);
            w.WriteStartArray("devices");
            foreach (var d in gb.Devices)
            {
                w.WriteStartObject();
                w.WriteString("address", d.Address.ToString());
                w.WriteNumber("bar64Total", MmioWindow.Sum64(d));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.StringOrNull("largeBars", gb.LargeBars);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.Strings("notes", plan.Notes);
        w.WriteEndObject();
    }
}
