using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using Vfio;
using Vfio.Execution.Assignment;
using Vfio.Execution.Kernel;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Assignment;
using Vfio.Policy.Drivers;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary>What plan, bind, restore and unbind share: options, host loading, rendering.</summary>
internal static partial class AssignmentSupport
{
    public static readonly Option<string> StateDir = new("--state-dir")
    {
        Description = "Where the journal of original drivers and the lock live (under --root)",
        DefaultValueFactory = _ => "/var/lib/vfioctl",
    };

    public static Argument<string[]> Addresses(string description) => new("address")
    {
        Arity = ArgumentArity.ZeroOrMore,
        Description = description,
    };

    public static List<PciAddress> ParseAddresses(IEnumerable<string> texts, string what)
    {
        var list = new List<PciAddress>();
        foreach (var t in texts)
        {
            if (!PciAddress.TryParse(t, out var a))
                throw new UsageException($"{what} '{t}' is not a PCI address; expected {PciAddress.ExpectedForm}.");
            if (!list.Contains(a)) list.Add(a);
        }
        return list;
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    /// <summary>The live host needs root for writes; a directory root (a simulated or captured tree) does not.</summary>
    public static void RequireRootForLiveHost(string root, string command)
    {
        if (Path.GetFullPath(root) == "/" && GetEuid() != 0)
            throw new NeedsRootException($"'vfioctl {command}' changes driver bindings and needs root: run it with sudo.");
    }

    public static string RequireDirectoryRoot(string root, string command)
    {
        if (File.Exists(root))
            throw new UsageException($"--root {root} is a snapshot, which is read-only: 'vfioctl plan' works on it, '{command}' needs a live host or a directory.");
        if (!Directory.Exists(root)) throw new UsageException($"--root {root}: no such directory.");
        return root;
    }

    public static ModuleAliases LoadAliases(HostFiles files, string? release, Terminal term)
    {
        if (release is null) return ModuleAliases.Empty;
        var path = $"/lib/modules/{release}/modules.alias";
        byte[] text;
        try
        {
            text = File.ReadAllBytes(files.Map(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            term.Warn($"{path} is unreadable ({e.Message}): variant drivers cannot be detected; generic vfio-pci is used.");
            return ModuleAliases.Empty;
        }
        var aliases = ModuleAliases.Parse(text);
        foreach (var p in aliases.Problems) term.Warn($"modules.alias {p}");
        return aliases;
    }

    public static AssignmentPlan MakePlan(HostView view, Terminal term, AssignmentRequest request)
    {
        var files = new HostFiles(view.Host.Root);
        return AssignmentPlanner.Plan(view.Host, LoadAliases(files, view.Host.KernelRelease, term), request);
    }

    public static void WritePlan(Terminal term, HostView view, AssignmentPlan plan, bool json)
    {
        if (json)
        {
            Json.Write(term.Out, w => WritePlanJson(w, plan));
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
        }
        if (plan.Modules.Length > 0)
        {
            o.WriteLine("Modules to load:");
            foreach (var m in plan.Modules) o.WriteLine($"  {m.Module}: {m.Reason}");
        }
        foreach (var n in plan.Notes) o.WriteLine($"note: {n}");
        if (plan.Refusals.Length > 0)
        {
            o.WriteLine(plan.Request.Force ? "Refusals (--force overrides the ones marked 'overridden'):" : "Refused:");
            foreach (var r in plan.Refusals)
                o.WriteLine($"  {(r.Overridable && plan.Request.Force ? "overridden" : "refused")}: {r.Reason}");
            if (!plan.Request.Force && plan.Refusals.All(r => r.Overridable))
                o.WriteLine("Every refusal is a safety check: --force overrides them if you are sure.");
        }
    }

    private static string ActionWord(StepAction a) => a switch { StepAction.Move => "bind", StepAction.Fence => "fence", _ => "keep" };

    public static void WritePlanJson(Utf8JsonWriter w, AssignmentPlan plan)
    {
        w.WriteStartObject();
        w.WriteBoolean("canApply", plan.CanApply);
        w.WriteBoolean("force", plan.Request.Force);
        w.WriteString("driver", plan.Request.Driver.Value);
        w.WriteStartArray("groups");
        foreach (var g in plan.Groups) w.WriteNumberValue(g);
        w.WriteEndArray();
        w.WriteStartArray("steps");
        foreach (var s in plan.Steps)
        {
            w.WriteStartObject();
            w.WriteString("address", s.Address.ToString());
            w.WriteNumber("group", s.Group);
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
            w.WriteString("reason", m.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WriteRefusals(w, plan.Refusals);
        w.Strings("notes", plan.Notes);
        w.WriteEndObject();
    }

    /// <summary>The <c>refusals</c> array of a plan (assignment or SR-IOV): address, reason, overridable.</summary>
    public static void WriteRefusals(Utf8JsonWriter w, IEnumerable<Refusal> refusals)
    {
        w.WriteStartArray("refusals");
        foreach (var r in refusals)
        {
            w.WriteStartObject();
            w.StringOrNull("address", r.Address?.ToString());
            w.WriteString("reason", r.Reason);
            w.WriteBoolean("overridable", r.Overridable);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public static void WriteResult(Utf8JsonWriter w, ExecutionResult r)
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
        w.WriteEndObject();
    }

    public static void PrintResult(Terminal term, ExecutionResult r)
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

    public static Assigner MakeAssigner(string root, ParseResult parse) =>
        new(CommandSupport.KernelFor(root), new ExecutionOptions { StateDirectory = parse.GetValue(StateDir)! });
}

/// <summary>A command that needs root was run without it: exit code 1 with the reason up front.</summary>
internal sealed class NeedsRootException(string message) : Exception(message);
