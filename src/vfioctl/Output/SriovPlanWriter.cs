using System.Text.Json;
using Vfio.Policy.Sriov;

namespace Vfioctl.Output;

/// <summary>An SR-IOV plan: where the PF stands, the steps with their reasons, open VFs, refusals.</summary>
internal static class SriovPlanWriter
{
    public static string ActionWord(SriovAction a) => a switch
    {
        SriovAction.RemoveVfs => "remove-vfs",
        SriovAction.EnableSriovInVfioPci => "enable-sriov-in-vfio-pci",
        SriovAction.BindPf => "bind-pf",
        SriovAction.SetAutoprobe => "set-autoprobe",
        SriovAction.CreateVfs => "create-vfs",
        SriovAction.BindVfs => "bind-vfs",
        SriovAction.ResetAutoprobe => "reset-autoprobe",
        _ => a.ToString(),
    };

    private static string StepText(SriovStep s) => s.Action switch
    {
        SriovAction.RemoveVfs => "remove every VF",
        SriovAction.EnableSriovInVfioPci => "enable SR-IOV in vfio-pci",
        SriovAction.BindPf => "bind the PF to vfio-pci",
        SriovAction.SetAutoprobe or SriovAction.ResetAutoprobe => $"autoprobe {(s.Autoprobe == true ? "on" : "off")}",
        SriovAction.CreateVfs => $"create {s.NumVfs} VF{(s.NumVfs == 1 ? "" : "s")}",
        SriovAction.BindVfs => "bind the VFs to vfio-pci",
        _ => s.Action.ToString(),
    };

    public static string BindWord(VfBinding b) => b switch { VfBinding.VfioPci => "vfio-pci", VfBinding.None => "none", _ => "auto" };

    public static string OnOff(bool? value) => value switch { true => "on", false => "off", null => "unknown" };

    /// <summary>The plan for people: where the PF stands, the steps with their reasons, refusals.</summary>
    public static void WriteText(Terminal term, HostView view, SriovPlan plan)
    {
        var o = term.Out;
        var d = view.Host.FindDevice(plan.Pf);
        o.WriteLine($"{plan.Pf} {(d is null ? "" : view.Describe(d))}");
        if (plan.TotalVfs is not null)
            o.WriteLine($"  on {plan.PfDriver ?? "no driver"}: {plan.CurrentVfs} of {plan.TotalVfs} VFs, autoprobe {OnOff(plan.Autoprobe)}");
        if (plan.Steps.Length > 0)
        {
            o.WriteLine($"Plan ({plan.CurrentVfs} → {plan.TargetVfs} VFs):");
            int i = 1;
            foreach (var s in plan.Steps)
            {
                o.WriteLine($"  {i++}. {StepText(s)}: {s.Reason}");
                if (s.Action == SriovAction.BindPf && plan.PfAssignment is { } pa)
                    foreach (var step in pa.Steps)
                        o.WriteLine($"       {step.Address}: {step.FromDriver ?? "no driver"} -> {step.ToDriver}: {step.Reason}");
            }
        }
        foreach (var n in plan.Notes) o.WriteLine($"note: {n}");
        RefusalWriter.WriteText(o, [.. plan.Refusals, .. plan.PfAssignment?.Refusals ?? []], plan.Force);
    }

    public static void WriteJson(Utf8JsonWriter w, SriovPlan plan)
    {
        w.WriteStartObject();
        w.WriteString("operation", plan.Operation == SriovOperation.Enable ? "enable" : "disable");
        w.WriteString("pf", plan.Pf.ToString());
        w.WriteBoolean("canApply", plan.CanApply);
        w.WriteBoolean("force", plan.Force);
        w.StringOrNull("pfDriver", plan.PfDriver);
        w.NumberOrNull("totalVfs", plan.TotalVfs);
        w.WriteNumber("currentVfs", plan.CurrentVfs);
        w.WriteNumber("targetVfs", plan.TargetVfs);
        w.BoolOrNull("autoprobe", plan.Autoprobe);
        w.StringOrNull("bind", plan.Request is { } r ? BindWord(r.Bind) : null);
        w.StringOrNull("pfDriverRequested", plan.Request?.PfToVfioPci == true ? "vfio-pci" : null);
        w.WriteStartArray("steps");
        foreach (var s in plan.Steps)
        {
            w.WriteStartObject();
            w.WriteString("action", ActionWord(s.Action));
            w.NumberOrNull("numVfs", s.NumVfs);
            w.BoolOrNull("autoprobe", s.Autoprobe);
            w.WriteString("reason", s.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (plan.PfAssignment is { } pa)
        {
            w.WritePropertyName("pfAssignment");
            PlanWriter.WriteJson(w, pa);
        }
        else w.WriteNull("pfAssignment");
        w.WriteStartArray("openVfs");
        foreach (var v in plan.OpenVfs)
        {
            w.WriteStartObject();
            w.WriteString("address", v.Address.ToString());
            w.Processes("holders", v.Holders);
            w.WriteBoolean("certain", v.Certain);
            w.WriteString("reason", v.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        RefusalWriter.WriteJson(w, plan.Refusals);
        w.Strings("notes", plan.Notes);
        w.WriteEndObject();
    }
}
