using System.Collections.Immutable;
using Vfio.Execution.Assignment;
using Vfio.Execution.Operations;
using Vfio.Execution.Sriov;
using Vfio.Execution.State;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Policy.Assignment;
using Vfio.Policy.Drivers;
using Vfio.Policy.Persistence;
using Vfio.Policy.Sriov;

namespace Vfio.Execution.Persistence;

/// <summary>What <c>vfioctl apply</c> is asked.</summary>
public sealed record ApplyRequest
{
    public bool DryRun { get; init; }
    /// <summary>At boot: the kernel has forgotten every VF token, so each declared one is set again.</summary>
    public bool Boot { get; init; }
}

/// <summary>
/// Converges the host to the declared state (docs/persistence.md, "apply"): first each declared PF
/// (its VF count, its driver, its VFs' driver; then its stored VF token), then each declared
/// device, every change through the same planners and appliers as <c>sriov enable</c> and
/// <c>bind</c>, so it is journaled and restorable alike and refused alike. A device whose identity
/// does not match its address is not touched. Idempotent: an entry already in place writes nothing.
/// The whole run holds the state lock (a dry run takes none).
/// </summary>
public static class ApplyOperation
{
    public static ApplyResult Run(DeclaredStateFile file, ApplyRequest request, OperationServices services)
    {
        var state = file.Load();
        using var held = request.DryRun ? null : services.State.Lock();
        var files = services.Kernel.Files;
        var warnings = new List<string>();
        var entries = new List<ApplyEntry>();
        var pfsRebound = new HashSet<PciAddress>();

        foreach (var pf in state.Sriov)
        {
            var host = HostReader.Read(files, new HostReadOptions { GroupUsers = true });
            var entry = Sriov(pf, host, request, services, warnings);
            entries.Add(entry);
            if (entry.Status == ApplyStatus.Changed && entry.Sriov is { PfDriverBefore: var before, PfDriverAfter: var after } && before != after)
                pfsRebound.Add(pf.Pf);
        }
        foreach (var pf in state.Sriov.Where(p => p.VfToken == DeclaredToken.Stored))
        {
            if (entries.Any(e => e.Kind == "sriov" && e.Address == pf.Pf && e.IsProblem)) continue;
            if (Token(pf, request, services, pfsRebound.Contains(pf.Pf)) is { } token) entries.Add(token);
        }
        foreach (var d in state.Devices)
        {
            var host = HostReader.Read(files, new HostReadOptions { GroupUsers = true, Details = false, HoldersOnlyFor = [d.Address, .. d.Fence] });
            entries.Add(Device(d, host, request, services, warnings));
        }
        return new ApplyResult { Source = file.HostPath, DryRun = request.DryRun, Entries = [.. entries], Warnings = [.. warnings.Distinct()] };
    }

    private static ApplyEntry Sriov(DeclaredPf pf, HostState host, ApplyRequest request, OperationServices services, List<string> warnings)
    {
        var entry = new ApplyEntry { Kind = "sriov", Address = pf.Pf, Line = pf.Line, Status = ApplyStatus.InPlace, Detail = "" };
        if (Identify(services, host, pf.Pf, pf.Identity, entry) is { } problem) return problem;
        var device = host.FindDevice(pf.Pf)!;
        if (device.Sriov is not { } sriov)
            return entry with { Status = ApplyStatus.Refused, Detail = $"{pf.Pf} is not an SR-IOV PF (no sriov_totalvfs): declared at line {pf.Line} with {pf.NumVfs} VFs." };
        bool inPlace = Drift.Of(pf, host) is null;
        if (inPlace)
            return entry with { Detail = $"{pf.NumVfs} VF(s){(pf.PfToVfioPci ? ", PF on " + device.Driver : "")}, as declared." };

        var aliases = HostReadsAliases(services, host, warnings);
        var plan = SriovPlanner.PlanEnable(host, aliases, SriovFactsReader.Read(services.Kernel.Files, device), pf.Request);
        entry = entry with { SriovPlan = plan };
        if (!plan.CanApply)
            return entry with { Status = ApplyStatus.Refused, Detail = string.Join(" ", plan.Blocking.Select(r => r.Reason)) };
        if (request.DryRun)
            return entry with { Status = ApplyStatus.WouldChange, Detail = $"would give {pf.Pf} {pf.NumVfs} VF(s) (has {sriov.NumVfs ?? 0}){(pf.PfToVfioPci ? " on vfio-pci" : "")}." };
        var executor = new SriovExecutor(services.Kernel, services.Options) { TokenApplier = services.TokenApplier };
        var result = executor.Apply(plan, aliases);
        return entry with
        {
            Sriov = result,
            Status = result.Succeeded ? ApplyStatus.Changed : ApplyStatus.Failed,
            Detail = result.Succeeded
                ? $"{pf.NumVfs} VF(s) created (had {result.VfsBefore}){(result.PfDriverBefore != result.PfDriverAfter ? $", PF {result.PfDriverBefore ?? "unbound"} -> {result.PfDriverAfter}" : "")}."
                : $"{result.Error}{(result.RolledBack ? " (rolled back)" : "")}",
        };
    }

    private static ApplyEntry? Token(DeclaredPf pf, ApplyRequest request, OperationServices services, bool rebound)
    {
        var entry = new ApplyEntry { Kind = "vf-token", Address = pf.Pf, Line = pf.Line, Status = ApplyStatus.InPlace, Detail = "" };
        var executor = new SriovExecutor(services.Kernel, services.Options) { TokenApplier = services.TokenApplier };
        var stored = executor.LoadTokens().Find(pf.Pf);
        if (stored is null)
            return entry with { Status = ApplyStatus.Missing, Detail = $"vf-token: stored, but no token is stored for {pf.Pf}; set one with 'vfioctl sriov token {pf.Pf} --generate'." };
        var driver = services.Kernel.Files.ReadLinkName($"/sys/bus/pci/devices/{pf.Pf}/driver");
        if (!DriverKinds.IsVfioDriver(driver))
        {
            if (!pf.PfToVfioPci) return null;
            return entry with { Status = request.DryRun ? ApplyStatus.WouldChange : ApplyStatus.Failed, Detail = $"{pf.Pf} is not on vfio-pci, so its token cannot be set." };
        }
        // The kernel forgets the token when vfio-pci lets the PF go, and at every boot: set it again
        // at boot, after this run rebound the PF, or when it was stored before this boot (a tree
        // without /proc/stat has no boot to compare with: there, only --boot and a rebind count).
        var booted = BootTime.Read(services.Kernel.Files);
        bool needed = request.Boot || rebound || (booted is { } b && stored.SetUtc < b);
        if (!needed) return entry with { Detail = $"set since this boot ({stored.SetUtc:u}) and the PF stayed on {driver}." };
        if (request.DryRun) return entry with { Status = ApplyStatus.WouldChange, Detail = $"would set the stored token of {pf.Pf} in the kernel." };
        var result = executor.SetToken(pf.Pf, stored.Token);
        return entry with
        {
            Status = result.Applied == true ? ApplyStatus.Changed : ApplyStatus.Failed,
            Detail = result.Applied == true ? $"stored token set in the kernel for {pf.Pf}." : result.Message,
        };
    }

    private static ApplyEntry Device(DeclaredDevice d, HostState host, ApplyRequest request, OperationServices services, List<string> warnings)
    {
        var entry = new ApplyEntry { Kind = "device", Address = d.Address, Line = d.Line, Status = ApplyStatus.InPlace, Detail = "" };
        if (Identify(services, host, d.Address, d.Identity, entry) is { } problem) return problem;
        var plan = AssignmentPlanner.Plan(host, HostReadsAliases(services, host, warnings), d.Request);
        entry = entry with { Plan = plan };
        if (!plan.CanApply)
            return entry with { Status = ApplyStatus.Refused, Detail = string.Join(" ", plan.Blocking.Select(r => r.Reason)) };
        var changes = plan.Changes.ToList();
        var target = plan.Steps.FirstOrDefault(s => s.Address == d.Address);
        if (changes.Count == 0)
        {
            var journaled = request.DryRun ? [] : JournalBootClaims(plan, host, services, warnings);
            return entry with
            {
                Detail = $"on {target?.ToDriver ?? host.FindDevice(d.Address)?.Driver}, as declared."
                    + (journaled.Count == 0 ? "" : $" Claimed before vfioctl ran (the boot rule): journaled for restore with the driver its modalias names ({string.Join(", ", journaled)})."),
            };
        }
        string moves = string.Join(", ", changes.Select(s => $"{s.Address} {s.FromDriver ?? "unbound"} -> {s.ToDriver}"));
        if (request.DryRun) return entry with { Status = ApplyStatus.WouldChange, Detail = $"would bind {moves}." };
        var result = new AssignmentApplier(services.Kernel, services.Options).Apply(plan);
        return entry with
        {
            Bind = result,
            Status = result.Succeeded ? ApplyStatus.Changed : ApplyStatus.Failed,
            Detail = result.Succeeded ? $"bound {moves}." : $"{result.Error}{(result.RolledBack ? " (rolled back)" : "")}",
        };
    }

    /// <summary>
    /// Devices the boot rule claimed have no journal entry (vfioctl did not move them): journal each
    /// with the host driver its modalias names in modules.alias, so that <c>restore</c> gives it to
    /// that driver as it would after a bind. Returns "ADDRESS: DRIVER" for each entry added.
    /// </summary>
    private static List<string> JournalBootClaims(AssignmentPlan plan, HostState host, OperationServices services, List<string> warnings)
    {
        var added = new List<string>();
        var state = services.State;
        var journal = state.LoadJournal();
        var aliases = HostReadsAliases(services, host, warnings);
        foreach (var step in plan.Steps.Where(s => s.ToDriver is not null))
        {
            if (journal.Find(step.Address) is not null || host.FindDevice(step.Address) is not { } device) continue;
            var module = aliases.KernelDriversFor(device.Modalias).FirstOrDefault(m => !m.Contains("vfio", StringComparison.Ordinal) && m != "pci_stub");
            var driver = module is null ? null : AssignmentPlanner.ModuleToDriver(module);
            journal.Remember(new JournalEntry
            {
                Address = step.Address.ToString(),
                OriginalDriver = driver,
                OriginalModule = module,
                OriginalOverride = null,
                Group = device.IommuGroup,
                BoundTo = device.Driver,
                ChangedUtc = DateTime.UtcNow,
                PhysFn = device.PhysFn?.ToString(),
            });
            added.Add($"{step.Address}: {driver ?? "no driver"}");
        }
        if (added.Count > 0) journal.Save();
        return added;
    }

    /// <summary>Null when the device at <paramref name="address"/> is the declared one; else the entry saying why not.</summary>
    private static ApplyEntry? Identify(OperationServices services, HostState host, PciAddress address, DeviceIdentity? declared, ApplyEntry entry)
    {
        var files = services.Kernel.Files;
        var device = host.FindDevice(address);
        DeviceIdentity? found = device is null ? null : DeviceIdentityReader.Read(files, host, device);
        string? mismatch = declared is null || found is null ? null : declared.Mismatch(found);
        if (device is not null && mismatch is null) return null;
        PciAddress? movedTo = declared?.Serial is { } serial ? FindBySerial(files, host, declared, serial, address) : null;
        string where = movedTo is { } m ? $" The declared device (serial {declared!.Serial}) is now at {m}: it was not touched there; 'vfioctl persist remove {address}' then 'vfioctl persist add {m}' declares it at its new address." : "";
        if (device is null)
            return entry with
            {
                Status = movedTo is null ? ApplyStatus.Missing : ApplyStatus.Moved,
                MovedTo = movedTo,
                Detail = $"no device at {address} (declared at line {entry.Line}).{where}" + (movedTo is null ? " If it was removed for good: 'vfioctl persist remove " + address + "'." : ""),
            };
        return entry with
        {
            Status = ApplyStatus.IdentityMismatch,
            MovedTo = movedTo,
            Detail = $"the device at {address} is not the one declared at line {entry.Line} ({mismatch}): not touched.{where}",
        };
    }

    private static PciAddress? FindBySerial(Host.Sysfs.HostFiles files, HostState host, DeviceIdentity declared, string serial, PciAddress not) =>
        host.Devices.Where(d => d.Address != not && d.VendorId == declared.VendorId && d.DeviceId == declared.DeviceId)
            .FirstOrDefault(d => string.Equals(DeviceIdentityReader.ReadSerial(files, d.Address), serial, StringComparison.OrdinalIgnoreCase))?.Address;

    private static ModuleAliases HostReadsAliases(OperationServices services, HostState host, List<string> warnings) =>
        HostReads.Aliases(services.Kernel.Files, host, warnings);
}
