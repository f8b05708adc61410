using Vfio.Execution.Assignment;
using Vfio.Execution.Kernel;
using Vfio.Execution.State;
using Vfio.Host.Reading;
using Vfio.Policy.Assignment;
using Vfio.Policy.Drivers;
using Vfio.Policy.Sriov;

namespace Vfio.Execution.Sriov;

/// <summary>
/// Carries out SR-IOV plans: journals the PF's driver, VF count and autoprobe before the first
/// write (so <c>vfioctl restore</c> returns the PF to its original driver with its original VF
/// count), runs the steps in order through <see cref="IKernel"/>, moves the PF or the VFs with the
/// assignment engine, and on failure puts the PF back as it was before the run. Callers hold the
/// state lock (<see cref="StateDirectory.Lock"/>) across read, plan and apply, as the operations do.
/// </summary>
public sealed class SriovExecutor(IKernel kernel, ExecutionOptions options)
{
    /// <summary>Sets stored VF tokens in the kernel; null until a VFIO implementation is connected.</summary>
    public IVfTokenApplier? TokenApplier { get; init; }

    private readonly StateDirectory _state = StateDirectory.Of(kernel, options);

    /// <summary>The VF tokens kept in the state directory.</summary>
    public VfTokenStore LoadTokens() => _state.LoadTokens();

    /// <summary>Carries out a plan that <see cref="SriovPlan.CanApply"/>; rolls back on failure.</summary>
    public SriovResult Apply(SriovPlan plan, ModuleAliases aliases)
    {
        if (!plan.CanApply) throw new InvalidOperationException("the plan has standing refusals");
        var pf = plan.Pf;
        var log = new List<string>();
        var notes = new List<string>();
        var ops = new SriovOps(kernel, options.WriteTimeout, options.SriovTimeout, log.Add);
        var binding = new BindingOps(kernel, options.WriteTimeout, log.Add);

        // 1. The PF's state before this run, journaled durably before the first write.
        var before = new PfState(binding.CurrentDriver(pf), binding.CurrentOverride(pf), ops.NumVfs(pf) ?? 0, ops.Autoprobe(pf));
        var journal = _state.LoadJournal();
        var entryBefore = journal.Find(pf);
        if (plan.Steps.Length > 0)
        {
            journal.RememberSriov(new JournalEntry
            {
                Address = pf.ToString(),
                OriginalDriver = before.Driver,
                OriginalModule = before.Driver is null ? null : binding.ModuleOf(before.Driver),
                OriginalOverride = before.Override,
                Group = GroupOf(pf),
                ChangedUtc = DateTime.UtcNow,
            }, before.NumVfs, before.Autoprobe);
            journal.Save();
        }

        bool? tokenApplied = null;
        try
        {
            foreach (var step in plan.Steps)
            {
                switch (step.Action)
                {
                    case SriovAction.RemoveVfs:
                        ops.SetNumVfs(pf, 0);
                        ForgetVfs(pf, log);
                        break;
                    case SriovAction.EnableSriovInVfioPci:
                        EnableSriovInVfioPci(log);
                        break;
                    case SriovAction.BindPf:
                        var moved = new AssignmentApplier(kernel, options).Apply(plan.PfAssignment!);
                        log.AddRange(moved.Log);
                        if (!moved.Succeeded)
                            throw new KernelException($"binding {pf} to vfio-pci", Errno.EIO, moved.Error);
                        tokenApplied = ApplyStoredToken(pf, notes);
                        break;
                    case SriovAction.SetAutoprobe:
                    case SriovAction.ResetAutoprobe:
                        ops.SetAutoprobe(pf, step.Autoprobe!.Value);
                        break;
                    case SriovAction.CreateVfs:
                        ops.SetNumVfs(pf, step.NumVfs!.Value);
                        break;
                    case SriovAction.BindVfs:
                        BindVfs(pf, ops, aliases, log);
                        break;
                }
            }
        }
        catch (KernelException e) when (e.Error == Errno.ETIMEDOUT)
        {
            // A write still waits in the kernel and reading the PF would wait behind it: stop and say so.
            return new SriovResult
            {
                Pf = pf, Succeeded = false, PfDriverBefore = before.Driver, VfsBefore = before.NumVfs,
                Error = e.Message + " When it has finished, 'vfioctl restore " + pf + "' returns the PF to how it was before vfioctl.",
                Notes = [.. notes], Log = [.. log],
            };
        }
        catch (KernelException e)
        {
            bool rolledBack = Rollback(pf, before, entryBefore, ops, binding, log);
            return Outcome(pf, before, ops, binding, notes, log, tokenApplied) with { Succeeded = false, Error = e.Message, RolledBack = rolledBack };
        }
        return Outcome(pf, before, ops, binding, notes, log, tokenApplied) with { Succeeded = true };
    }

    /// <summary>
    /// Stores a PF's token and, when the PF is on a vfio driver, sets it in the kernel. When setting
    /// it fails the previous token is kept, so the store never holds a token the kernel refused.
    /// </summary>
    public TokenResult SetToken(PciAddress pf, VfToken token)
    {
        var store = LoadTokens();
        var previous = store.Find(pf);
        var driver = new BindingOps(kernel, options.WriteTimeout, _ => { }).CurrentDriver(pf);
        if (!DriverKinds.IsVfioDriver(driver))
        {
            store.Set(pf, token);
            return new TokenResult(true, null,
                $"{pf} is {(driver is null ? "without a driver" : $"on {driver}")}: the token is stored and is set in the kernel when vfioctl binds the PF to vfio-pci ('vfioctl sriov enable {pf} --pf-driver vfio-pci ...').");
        }
        if (TokenApplier is null)
        {
            store.Set(pf, token);
            return new TokenResult(true, false,
                $"the token is stored, but this vfioctl has no VFIO token applier connected, so the kernel still has its old token for {pf}.");
        }
        string how;
        try
        {
            how = TokenApplier.Apply(pf, token, previous?.Token);
        }
        catch (KernelException e)
        {
            return new TokenResult(false, false, $"the kernel did not take the token for {pf}: {e.Message}" + (previous is null ? "" : " The stored token is unchanged."));
        }
        store.Set(pf, token);
        return new TokenResult(true, true, $"set in the kernel for {pf} (on {driver}, {how}) and stored.");
    }

    private bool? ApplyStoredToken(PciAddress pf, List<string> notes)
    {
        var stored = LoadTokens().Find(pf);
        if (stored is null)
        {
            notes.Add($"No VF token is stored for {pf}: the kernel's is random, so nobody can open its VFs until a PF driver sets one ('vfioctl sriov token {pf} --generate').");
            return null;
        }
        if (TokenApplier is null)
        {
            notes.Add($"The stored VF token of {pf} was not set in the kernel: this vfioctl has no VFIO token applier connected.");
            return false;
        }
        string how;
        try
        {
            // Freshly bound: no VF can be open, so the kernel needs no current token.
            how = TokenApplier.Apply(pf, stored.Token, null);
        }
        catch (KernelException e)
        {
            notes.Add($"The stored VF token of {pf} was not set in the kernel: {e.Message}");
            return false;
        }
        notes.Add($"The stored VF token of {pf} is set in the kernel ({how}).");
        return true;
    }

    private void EnableSriovInVfioPci(List<string> log)
    {
        if (kernel.Files.DirectoryExists("/sys/module/vfio_pci"))
        {
            kernel.Write($"{SriovFactsReader.VfioPciParameters}/enable_sriov", "Y", options.WriteTimeout);
            log.Add("vfio_pci: enable_sriov = Y");
        }
        else
        {
            kernel.LoadModule("vfio_pci", ["enable_sriov=1"]);
            log.Add("loaded module vfio_pci enable_sriov=1");
        }
        if (kernel.Files.ReadAttribute($"{SriovFactsReader.VfioPciParameters}/enable_sriov") is not ("Y" or "1"))
            throw new KernelException("setting vfio_pci's enable_sriov", Errno.EIO, "it does not read back Y: was vfio-pci loaded with enable_sriov=0 where the parameter cannot change?");
    }

    /// <summary>Moves every VF of the PF to vfio-pci with the assignment engine (whole groups, journaled).</summary>
    private void BindVfs(PciAddress pf, SriovOps ops, ModuleAliases aliases, List<string> log)
    {
        var vfs = ops.Vfs(pf);
        if (vfs.Count == 0) return;
        var host = HostReader.Read(kernel.Files, new HostReadOptions { GroupUsers = true, GroupDetails = false });
        var plan = AssignmentPlanner.Plan(host, aliases, new AssignmentRequest { Targets = [.. vfs], Driver = new DriverRequest(DriverKinds.VfioPci) });
        if (!plan.CanApply)
            throw new KernelException($"planning vfio-pci for the VFs of {pf}", Errno.EPERM, string.Join(" ", plan.Blocking.Select(r => r.Reason)));
        var result = new AssignmentApplier(kernel, options).Apply(plan);
        log.AddRange(result.Log);
        if (!result.Succeeded)
            throw new KernelException($"binding the VFs of {pf} to vfio-pci", Errno.EIO, result.Error);
    }

    /// <summary>Journal entries of VFs that no longer exist (their PF's VFs were removed) are dropped.</summary>
    private void ForgetVfs(PciAddress pf, List<string> log)
    {
        var journal = _state.LoadJournal();
        bool changed = false;
        foreach (var e in journal.Entries.Where(e => e.PhysFn == pf.ToString()).ToList())
        {
            journal.Forget(PciAddress.Parse(e.Address));
            log.Add($"{e.Address}: removed with the VFs of {pf}; dropped from the journal");
            changed = true;
        }
        if (changed) journal.Save();
    }

    /// <summary>Returns the PF to its state before the run: no VFs, its driver, autoprobe, then its VF count.</summary>
    private bool Rollback(PciAddress pf, PfState before, JournalEntry? entryBefore, SriovOps ops, BindingOps binding, List<string> log)
    {
        bool ok = true;
        void Try(string what, Action action)
        {
            try
            {
                action();
            }
            catch (KernelException e)
            {
                ok = false;
                log.Add($"rollback: {what} failed: {e.Message}");
            }
        }
        try
        {
            var driverNow = binding.CurrentDriver(pf);
            int now = ops.NumVfs(pf) ?? 0;
            if (now != 0 && (now != before.NumVfs || driverNow != before.Driver))
            {
                ops.SetNumVfs(pf, 0);
                ForgetVfs(pf, log);
            }
            if (driverNow != before.Driver || binding.CurrentOverride(pf) != before.Override)
                Try($"returning {pf} to {before.Driver ?? "no driver"}", () => binding.ReturnTo(pf, before.Driver, before.Override));
            if (before.Autoprobe is { } a && ops.Autoprobe(pf) != a)
                Try("autoprobe", () => ops.SetAutoprobe(pf, a));
            if (before.NumVfs > 0 && ops.NumVfs(pf) != before.NumVfs)
                Try($"recreating {before.NumVfs} VF(s)", () => ops.SetNumVfs(pf, before.NumVfs));
        }
        catch (KernelException e)
        {
            log.Add($"rollback: removing the VFs failed: {e.Message}");
            return false;
        }
        // The journal as before the run: this run's entry for the PF goes (or returns to the earlier one).
        var journal = _state.LoadJournal();
        if (entryBefore is null) journal.Forget(pf);
        else journal.Replace(entryBefore);
        journal.Save();
        return ok;
    }

    private SriovResult Outcome(PciAddress pf, PfState before, SriovOps ops, BindingOps binding, List<string> notes, List<string> log, bool? tokenApplied) => new()
    {
        Pf = pf,
        PfDriverBefore = before.Driver,
        PfDriverAfter = binding.CurrentDriver(pf),
        VfsBefore = before.NumVfs,
        VfsAfter = ops.NumVfs(pf),
        Vfs = [.. ops.VfOutcomes(pf)],
        TokenApplied = tokenApplied,
        Notes = [.. notes],
        Log = [.. log],
    };

    private int? GroupOf(PciAddress a) =>
        int.TryParse(kernel.Files.ReadLinkName($"{SriovOps.Dir(a)}/iommu_group"), out var g) ? g : null;

    /// <summary>The PF's state at the start of a run.</summary>
    private sealed record PfState(string? Driver, string? Override, int NumVfs, bool? Autoprobe);
}
