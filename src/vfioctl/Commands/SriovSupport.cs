using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Vfio;
using Vfio.Execution.Assignment;
using Vfio.Execution.Kernel;
using Vfio.Execution.Sriov;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Sriov;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary>What the <c>sriov</c> commands share: options, the kernel and executor, rendering.</summary>
internal static class SriovSupport
{
    /// <summary>
    /// Sets stored VF tokens in the kernel. Null (the default) means: on the live host, open the PF
    /// through the VFIO library (<see cref="VfioTokenApplier"/>); under a directory <c>--root</c>
    /// (a captured or simulated tree) there is no kernel to tell, so <c>sriov token</c> stores the
    /// token and says the kernel was not changed. Tests put a simulated applier here.
    /// </summary>
    public static IVfTokenApplier? TokenApplier { get; set; }

    public static readonly Option<int> Timeout = new("--timeout")
    {
        Description = "Seconds a write to sriov_numvfs may take before vfioctl reports and stops (a VF held open makes the kernel wait)",
        DefaultValueFactory = _ => 60,
    };

    public static readonly Option<bool> DryRun = new("--dry-run") { Description = "Print the plan and change nothing" };

    /// <summary>The options every SR-IOV command that changes the host takes: --dry-run, --force, --timeout, --state-dir.</summary>
    public static void AddApplyOptions(Command cmd)
    {
        cmd.Options.Add(DryRun);
        cmd.Options.Add(Force);
        cmd.Options.Add(Timeout);
        cmd.Options.Add(AssignmentSupport.StateDir);
    }

    public static readonly Option<bool> Force = new("--force") { Description = "Override the refusals that may be overridden (VFs in use by the host, a VF that only appears open)" };

    public static Argument<string> Pf() => new("pf") { Description = "The physical function (PCI address)" };

    public static PciAddress ParsePf(string? text) =>
        PciAddress.TryParse(text, out var a) ? a : throw new UsageException($"PF '{text}' is not a PCI address; expected {PciAddress.ExpectedForm}.");

    public static TimeSpan ParseTimeout(ParseResult parse)
    {
        int seconds = parse.GetValue(Timeout);
        if (seconds < 1) throw new UsageException($"--timeout {seconds}: give a number of seconds, 1 or more.");
        return TimeSpan.FromSeconds(seconds);
    }

    public static ExecutionOptions Options(ParseResult parse, bool withTimeout = true) => new()
    {
        StateDirectory = parse.GetValue(AssignmentSupport.StateDir)!,
        SriovTimeout = withTimeout ? ParseTimeout(parse) : TimeSpan.FromSeconds(60),
    };

    public static SriovExecutor Executor(string root, ParseResult parse, bool withTimeout = true) =>
        new(CommandSupport.KernelFor(root), Options(parse, withTimeout))
        {
            TokenApplier = TokenApplier ?? (Path.GetFullPath(root) == "/" ? new VfioTokenApplier() : null),
        };

    public static SriovFacts Facts(HostView view, PciDevice pf) => SriovFactsReader.Read(new HostFiles(view.Host.Root), pf);

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

    /// <summary>The plan for people: where the PF stands, the steps with their reasons, refusals.</summary>
    public static void WritePlan(Terminal term, HostView view, SriovPlan plan)
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
        var refusals = plan.Refusals.Concat(plan.PfAssignment?.Refusals ?? []).ToList();
        if (refusals.Count > 0)
        {
            o.WriteLine(plan.Force ? "Refusals (--force overrides the ones marked 'overridden'):" : "Refused:");
            foreach (var r in refusals)
                o.WriteLine($"  {(r.Overridable && plan.Force ? "overridden" : "refused")}: {r.Reason}");
            if (!plan.Force && refusals.All(r => r.Overridable))
                o.WriteLine("Every refusal is a safety check: --force overrides them if you are sure.");
        }
    }

    public static void WritePlanJson(Utf8JsonWriter w, SriovPlan plan)
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
        BoolOrNull(w, "autoprobe", plan.Autoprobe);
        w.StringOrNull("bind", plan.Request is { } r ? BindWord(r.Bind) : null);
        w.StringOrNull("pfDriverRequested", plan.Request?.PfToVfioPci == true ? "vfio-pci" : null);
        w.WriteStartArray("steps");
        foreach (var s in plan.Steps)
        {
            w.WriteStartObject();
            w.WriteString("action", ActionWord(s.Action));
            w.NumberOrNull("numVfs", s.NumVfs);
            BoolOrNull(w, "autoprobe", s.Autoprobe);
            w.WriteString("reason", s.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (plan.PfAssignment is { } pa)
        {
            w.WritePropertyName("pfAssignment");
            AssignmentSupport.WritePlanJson(w, pa);
        }
        else w.WriteNull("pfAssignment");
        w.WriteStartArray("openVfs");
        foreach (var v in plan.OpenVfs)
        {
            w.WriteStartObject();
            w.WriteString("address", v.Address.ToString());
            WriteProcesses(w, "holders", v.Holders);
            w.WriteBoolean("certain", v.Certain);
            w.WriteString("reason", v.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        AssignmentSupport.WriteRefusals(w, plan.Refusals);
        w.Strings("notes", plan.Notes);
        w.WriteEndObject();
    }

    public static void WriteResultJson(Utf8JsonWriter w, SriovResult r)
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
        BoolOrNull(w, "tokenApplied", r.TokenApplied);
        w.Strings("notes", r.Notes);
        w.Strings("log", r.Log);
        w.WriteEndObject();
    }

    /// <summary><c>{"plan": ..., "result": ...}</c>: what every sriov enable/disable run prints with --json.</summary>
    public static void WriteJson(Terminal term, SriovPlan plan, SriovResult? result) =>
        Json.Write(term.Out, w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("plan");
            WritePlanJson(w, plan);
            if (result is null) w.WriteNull("result");
            else
            {
                w.WritePropertyName("result");
                WriteResultJson(w, result);
            }
            w.WriteEndObject();
        });

    public static void PrintResult(Terminal term, SriovResult r)
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

    public static int ExitCode(SriovResult r) => !r.Succeeded || r.TokenApplied == false ? ExitCodes.Failed : ExitCodes.Success;

    public static void WriteProcesses(Utf8JsonWriter w, string name, IEnumerable<ProcessRef> processes)
    {
        w.WriteStartArray(name);
        foreach (var p in processes)
        {
            w.WriteStartObject();
            w.WriteNumber("pid", p.Pid);
            w.StringOrNull("command", p.Command);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public static void BoolOrNull(Utf8JsonWriter w, string name, bool? value)
    {
        if (value is { } v) w.WriteBoolean(name, v);
        else w.WriteNull(name);
    }

    public static string OnOff(bool? value) => value switch { true => "on", false => "off", null => "unknown" };

    /// <summary>Holds the state lock, reads the host, plans and (unless a dry run or refused) applies: enable and disable alike.</summary>
    public static int PlanAndApply(ParseResult parse, Terminal term, Func<HostView, SriovPlan> makePlan, bool dryRun)
    {
        var root = parse.GetValue(GlobalOptions.Root)!;
        bool json = parse.GetValue(GlobalOptions.Json);
        if (!dryRun)
        {
            AssignmentSupport.RequireDirectoryRoot(root, "sriov");
            AssignmentSupport.RequireRootForLiveHost(root, "sriov");
        }
        ParseTimeout(parse); // a bad --timeout is a usage error before anything is read
        var assigner = dryRun ? null : new Assigner(CommandSupport.KernelFor(root), Options(parse));
        using var held = assigner?.Lock();
        using var view = HostView.Open(root, new HostReadOptions { GroupUsers = true });
        var plan = makePlan(view);
        if (dryRun || !plan.CanApply)
        {
            if (json) WriteJson(term, plan, null);
            else WritePlan(term, view, plan);
            return plan.CanApply ? ExitCodes.Success : ExitCodes.Refused;
        }
        if (!json) WritePlan(term, view, plan);
        var aliases = AssignmentSupport.LoadAliases(new HostFiles(view.Host.Root), view.Host.KernelRelease, term);
        var result = Executor(root, parse).Apply(plan, aliases);
        if (json) WriteJson(term, plan, result);
        else
        {
            PrintResult(term, result);
            if (result.Succeeded && plan.Steps.Length > 0)
                term.Out.WriteLine($"Undo with: vfioctl restore {plan.Pf}");
        }
        return ExitCode(result);
    }
}
