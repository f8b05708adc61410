using System.Collections.Immutable;
using System.Text;
using Vfio.Execution.Operations;
using Vfio.Execution.State;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Policy.Assignment;
using Vfio.Policy.Drivers;
using Vfio.Policy.Persistence;

namespace Vfio.Execution.Persistence;

/// <summary>What a <c>persist</c> command changed: the declared state as saved, the boot rule made from it, and notes for the user.</summary>
public sealed record PersistOutcome
{
    public required DeclaredState State { get; init; }
    /// <summary>The devices the generated udev rule claims.</summary>
    public IReadOnlyList<RuleClaim> Claims { get; init; } = [];
    /// <summary>The rules file as named (under the root).</summary>
    public required string RulesPath { get; init; }
    /// <summary>True when the rules file was written or removed (its contents changed).</summary>
    public bool RulesChanged { get; init; }
    /// <summary>The addresses added or removed.</summary>
    public ImmutableArray<PciAddress> Touched { get; init; } = [];
    /// <summary>Addresses named that were not declared (remove).</summary>
    public ImmutableArray<PciAddress> NotDeclared { get; init; } = [];
    /// <summary>Plans refused for a device to add: nothing was written.</summary>
    public ImmutableArray<AssignmentPlan> Refused { get; init; } = [];
    /// <summary>What cannot be claimed early, with the kernel command line fallback.</summary>
    public ImmutableArray<string> Notes { get; init; } = [];
    public ImmutableArray<string> Warnings { get; init; } = [];
}

/// <summary>
/// The <c>persist</c> use cases: add devices or a PF to the declared state, remove them, regenerate
/// or remove the boot rule. Each runs under the state lock, checks before it writes (a device that
/// <c>bind</c> would refuse is not declared either: the boot rule would take it without asking),
/// saves the file durably and regenerates the udev rule from it.
/// </summary>
public static class PersistOperation
{
    /// <summary>Declares the targets of <paramref name="request"/> (each with its identity), unless a plan for one is refused.</summary>
    public static PersistOutcome AddDevices(AssignmentRequest request, DeclaredStateFile file, OperationServices services, string rulesPath = UdevRules.Path)
    {
        using var held = services.State.Lock();
        var state = file.Load();
        var files = services.Kernel.Files;
        var host = HostReader.Read(files, new HostReadOptions { GroupUsers = true, Details = false, HoldersOnlyFor = [.. request.Targets, .. request.Fence] });
        var warnings = new List<string>();
        var aliases = HostReads.Aliases(files, host, warnings);
        var refused = new List<AssignmentPlan>();
        foreach (var target in request.Targets)
        {
            var device = HostReads.RequireDevice(host, target);
            var plan = AssignmentPlanner.Plan(host, aliases, request with { Targets = [target] });
            if (!plan.CanApply) refused.Add(plan);
            else if (state.FindPf(target) is { PfToVfioPci: false })
                throw new InvalidDataException($"{target} is declared as an SR-IOV PF on its host driver ({file.HostPath}); 'vfioctl persist remove {target}' first, or declare it with 'vfioctl sriov enable {target} --pf-driver vfio-pci --persist'.");
            else
                state = state.With(new DeclaredDevice
                {
                    Address = target,
                    Driver = request.Driver,
                    Fence = request.Fence,
                    Force = request.Force,
                    Identity = DeviceIdentityReader.Read(files, host, device),
                });
        }
        if (refused.Count > 0)
            return new PersistOutcome { State = file.Load(), RulesPath = rulesPath, Refused = [.. refused], Warnings = [.. warnings] };
        file.Save(state);
        return WriteRules(file.Load(), file, services, rulesPath, host, warnings) with { Touched = request.Targets };
    }

    /// <summary>Declares a PF's VFs (after <c>sriov enable --persist</c> made them).</summary>
    public static PersistOutcome AddPf(DeclaredPf pf, DeclaredStateFile file, OperationServices services, string rulesPath = UdevRules.Path)
    {
        using var held = services.State.Lock();
        var state = file.Load();
        var files = services.Kernel.Files;
        var host = HostReader.Read(files, new HostReadOptions { Holders = false });
        var device = HostReads.RequireDevice(host, pf.Pf);
        // A PF on vfio-pci is declared here only: a devices entry for it would bind it without SR-IOV in mind.
        if (pf.PfToVfioPci) state = state with { Devices = [.. state.Devices.Where(d => d.Address != pf.Pf)] };
        state = state.With(pf with { Identity = DeviceIdentityReader.Read(files, host, device) });
        file.Save(state);
        return WriteRules(file.Load(), file, services, rulesPath, host, []) with { Touched = [pf.Pf] };
    }

    /// <summary>Removes every entry at the named addresses; the devices stay as they are now.</summary>
    public static PersistOutcome Remove(IReadOnlyList<PciAddress> addresses, DeclaredStateFile file, OperationServices services, string rulesPath = UdevRules.Path)
    {
        using var held = services.State.Lock();
        var state = file.Load();
        var removed = addresses.Where(a => state.FindDevice(a) is not null || state.FindPf(a) is not null).ToImmutableArray();
        var missing = addresses.Except(removed).ToImmutableArray();
        foreach (var a in removed) state = state.Without(a);
        if (!removed.IsEmpty)
        {
            file.Save(state);
            state = file.Load();
        }
        var host = HostReader.Read(services.Kernel.Files, new HostReadOptions { Holders = false });
        return WriteRules(state, file, services, rulesPath, host, []) with { Touched = removed, NotDeclared = missing };
    }

    /// <summary>Regenerates the rules file from the declared state (or removes it, <paramref name="remove"/>: no device is claimed at boot any more).</summary>
    public static PersistOutcome Rules(DeclaredStateFile file, OperationServices services, bool remove, string rulesPath = UdevRules.Path)
    {
        using var held = services.State.Lock();
        if (remove)
        {
            var path = services.Kernel.Files.Map(rulesPath);
            bool ours = File.Exists(path) && File.ReadLines(path).FirstOrDefault()?.StartsWith(UdevRules.Marker, StringComparison.Ordinal) == true;
            if (File.Exists(path) && !ours)
                throw new InvalidDataException($"{rulesPath} was not generated by vfioctl (its first line is not '{UdevRules.Marker} ...'); it was left as it is.");
            return new PersistOutcome { State = DeclaredState.Empty, RulesPath = rulesPath, RulesChanged = ours && DurableFile.Delete(path) };
        }
        var state = file.Load();
        var host = HostReader.Read(services.Kernel.Files, new HostReadOptions { Holders = false });
        return WriteRules(state, file, services, rulesPath, host, []);
    }

    private static PersistOutcome WriteRules(DeclaredState state, DeclaredStateFile file, OperationServices services, string rulesPath, HostState host, List<string> warnings)
    {
        var files = services.Kernel.Files;
        var aliases = HostReads.Aliases(files, host, warnings);
        var claims = UdevRules.Claims(state, host, d => AssignmentPlanner.Plan(host, aliases, d.Request));
        var path = files.Map(rulesPath);
        string? old = File.Exists(path) ? File.ReadAllText(path) : null;
        bool changed;
        if (claims.Count == 0) changed = old is not null && DurableFile.Delete(path);
        else
        {
            string text = UdevRules.Format(claims, file.HostPath);
            changed = text != old;
            if (changed) DurableFile.Write(path, Encoding.UTF8.GetBytes(text), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        return new PersistOutcome
        {
            State = state,
            Claims = claims,
            RulesPath = rulesPath,
            RulesChanged = changed,
            Notes = [.. BuiltInNotes(claims, host, files)],
            Warnings = [.. warnings.Distinct()],
        };
    }

    /// <summary>
    /// A claimed device whose driver is built into the kernel (no <c>module</c> link under its
    /// driver) is probed as it is added, before any udev rule runs (kernel-facts section 7): say so,
    /// with the kernel command line that claims it instead.
    /// </summary>
    private static IEnumerable<string> BuiltInNotes(IReadOnlyList<RuleClaim> claims, HostState host, Host.Sysfs.HostFiles files)
    {
        foreach (var c in claims)
        {
            if (host.FindDevice(c.Address) is not { Driver: { } driver } d || DriverKinds.IsVfioDriver(driver) || driver == DriverKinds.PciStub) continue;
            if (files.Exists($"/sys/bus/pci/drivers/{driver}/module")) continue;
            string ids = d.VendorDevice ?? "VVVV:DDDD";
            string param = c.Driver == DriverKinds.PciStub ? "pci-stub.ids" : "vfio-pci.ids";
            yield return $"{c.Address}: its driver {driver} is built into this kernel, so it takes the device as the kernel adds it, before the udev rule can; 'vfioctl apply --boot' moves it later in boot. "
                + $"To keep {driver} off it from the start, add '{param}={ids}' to the kernel command line (it claims every device with those ids, and works only where {c.Driver} is built in or loaded before {driver}).";
        }
    }
}

/// <summary>One declared entry beside the host as it is (<c>vfioctl persist list</c>).</summary>
public sealed record PersistRow
{
    /// <summary>device or sriov.</summary>
    public required string Kind { get; init; }
    public required PciAddress Address { get; init; }
    public int Line { get; init; }
    /// <summary>What is declared, in words.</summary>
    public required string Declared { get; init; }
    /// <summary>The driver (and VF count for a PF) now; null when the device is absent.</summary>
    public string? Actual { get; init; }
    /// <summary>Why the device at the address is not the declared one; null when it is (or no identity was recorded).</summary>
    public string? IdentityProblem { get; init; }
    /// <summary>What differs; null when the host is as declared.</summary>
    public string? Drift { get; init; }
}

/// <summary><c>vfioctl persist list</c>: the declared state against the host, read-only.</summary>
public static class PersistList
{
    public static (DeclaredState State, ImmutableArray<PersistRow> Rows, ImmutableArray<string> Warnings) Read(DeclaredStateFile file, Host.Sysfs.HostFiles files)
    {
        var state = file.Load();
        var host = HostReader.Read(files, new HostReadOptions { GroupUsers = true });
        var warnings = new List<string>();
        var aliases = HostReads.Aliases(files, host, warnings);
        var rows = new List<PersistRow>();
        foreach (var pf in state.Sriov)
        {
            var d = host.FindDevice(pf.Pf);
            rows.Add(new PersistRow
            {
                Kind = "sriov",
                Address = pf.Pf,
                Line = pf.Line,
                Declared = $"{pf.NumVfs} VF(s), PF on {(pf.PfToVfioPci ? "vfio-pci" : "its host driver")}, VFs {DeclaredStateYaml.VfDriverText(pf.VfDriver)}, token {(pf.VfToken == DeclaredToken.Stored ? "stored" : "none")}",
                Actual = d is null ? null : $"{d.Sriov?.NumVfs ?? 0} VF(s), PF on {d.Driver ?? "no driver"}",
                IdentityProblem = IdentityProblem(files, host, d, pf.Identity),
                Drift = Drift.Of(pf, host),
            });
        }
        foreach (var dd in state.Devices)
        {
            var d = host.FindDevice(dd.Address);
            rows.Add(new PersistRow
            {
                Kind = "device",
                Address = dd.Address,
                Line = dd.Line,
                Declared = dd.Driver.Value + (dd.Fence.IsEmpty ? "" : $", fence {string.Join(' ', dd.Fence)}"),
                Actual = d is null ? null : d.Driver ?? "no driver",
                IdentityProblem = IdentityProblem(files, host, d, dd.Identity),
                Drift = d is null ? "not on the host" : Drift.Of(dd, AssignmentPlanner.Plan(host, aliases, dd.Request)),
            });
        }
        return (state, [.. rows], [.. warnings.Distinct()]);
    }

    private static string? IdentityProblem(Host.Sysfs.HostFiles files, HostState host, PciDevice? d, DeviceIdentity? declared) =>
        d is null || declared is null ? null : DeviceIdentityReader.Read(files, host, d) is { } found ? declared.Mismatch(found) : "ids unreadable";
}
