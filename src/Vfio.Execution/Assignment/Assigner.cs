using Vfio.Execution.Kernel;
using Vfio.Execution.Sriov;
using Vfio.Execution.State;
using Vfio.Policy.Assignment;
using Vfio.Policy.Drivers;

namespace Vfio.Execution.Assignment;

/// <summary>Where execution keeps its state and how long it waits.</summary>
public sealed record ExecutionOptions
{
    /// <summary>The state directory as a host path (journal, lock), resolved under the kernel's root.</summary>
    public string StateDirectory { get; init; } = "/var/lib/vfioctl";
    /// <summary>How long one sysfs write may block before vfioctl reports and stops.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// How long a write to <c>sriov_numvfs</c> may take: creating or removing many VFs takes
    /// seconds (64 NVMe VFs: about 2 s in a lab guest), and removing one a process holds open
    /// never finishes until it is closed.
    /// </summary>
    public TimeSpan SriovTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Applies assignment plans and restores journaled devices. Every change is journaled first,
/// done through <see cref="IKernel"/> one verified step at a time, and rolled back on failure.
/// Callers hold the <see cref="StateLock"/> across read, plan and apply (see <see cref="Lock"/>).
/// </summary>
public sealed class Assigner(IKernel kernel, ExecutionOptions options)
{
    private string StateDir => kernel.Files.Map(options.StateDirectory);

    /// <summary>Takes the lock that serialises binding changes between vfioctl processes.</summary>
    public StateLock Lock() => StateLock.Acquire(StateDir, options.LockWait);

    public Journal LoadJournal() => Journal.Load(StateDir);

    /// <summary>Carries out a plan that <see cref="AssignmentPlan.CanApply"/>; rolls back on failure.</summary>
    public ExecutionResult Apply(AssignmentPlan plan)
    {
        if (!plan.CanApply) throw new InvalidOperationException("the plan has standing refusals");
        var log = new List<string>();
        var ops = new BindingOps(kernel, options.WriteTimeout, log.Add);
        var journal = LoadJournal();
        _driverOfModule.Clear();

        // 1. Journal the original state of everything that will change, durably, before any write.
        var changes = plan.Changes.ToList();
        var beforeRun = new Dictionary<PciAddress, (string? Driver, string? Override, bool Added)>();
        foreach (var s in changes)
        {
            var driver = ops.CurrentDriver(s.Address);
            var current = ops.CurrentOverride(s.Address);
            bool added = journal.Remember(new JournalEntry
            {
                Address = s.Address.ToString(),
                OriginalDriver = driver,
                OriginalModule = driver is null ? null : ops.ModuleOf(driver),
                OriginalOverride = current,
                Group = s.Group,
                ChangedUtc = DateTime.UtcNow,
                PhysFn = ops.PhysFnOf(s.Address),
            });
            beforeRun[s.Address] = (driver, current, added);
        }
        journal.Save();

        var done = new List<DeviceStep>();
        var outcomes = new List<DeviceOutcome>();
        try
        {
            // 2. Modules: vfio-pci does not pull in vfio_iommu_type1; load what the plan names.
            foreach (var m in plan.Modules)
            {
                kernel.LoadModule(m.Module, m.Parameters);
                log.Add($"loaded module {m.Module}");
            }
            // 3. Move each member, fences first so the group never has an unfenced host driver next to a vfio one.
            var order = new List<DeviceStep>(changes);
            order.Sort(static (x, y) => ApplyRank(x) != ApplyRank(y) ? ApplyRank(x) - ApplyRank(y) : PciAddress.Order(x.Address, y.Address));
            foreach (var s in order)
            {
                var before = ops.CurrentDriver(s.Address);
                var driver = ResolveDriverName(s);
                done.Add(s);
                ops.MoveTo(s.Address, driver);
                journal.SetBoundTo(s.Address, driver);
                outcomes.Add(new DeviceOutcome(s.Address, before, driver, s.Action == StepAction.Fence ? "fenced" : "bound"));
            }
            journal.Save();
            foreach (var s in plan.Steps.Where(s => s.Action == StepAction.Keep))
                outcomes.Add(new DeviceOutcome(s.Address, s.FromDriver, s.FromDriver, s.Reason));
            outcomes.Sort(static (x, y) => PciAddress.Order(x.Address, y.Address));
            return new ExecutionResult { Succeeded = true, Devices = [.. outcomes], Log = [.. log] };
        }
        catch (KernelException e) when (e.Error == Errno.ETIMEDOUT)
        {
            // The write is still pending in the kernel, and on some kernels (6.1) even reading the
            // device waits behind it: touching anything now could hang. Stop; the journal has the
            // originals for a restore once the holder lets go.
            journal.Save();
            return new ExecutionResult
            {
                Succeeded = false,
                Error = e.Message + " Run 'vfioctl restore --all' once the process holding the device has exited.",
                RolledBack = false,
                Devices = [.. outcomes],
                Log = [.. log],
            };
        }
        catch (KernelException e)
        {
            bool rolledBack = Rollback(done, beforeRun, journal, ops, log);
            return new ExecutionResult
            {
                Succeeded = false,
                Error = e.Message,
                RolledBack = rolledBack,
                Devices = [.. outcomes],
                Log = [.. log],
            };
        }
    }

    private readonly Dictionary<string, string?> _driverOfModule = new(StringComparer.Ordinal);

    private string ResolveDriverName(DeviceStep s)
    {
        // A variant module may register its PCI driver under another spelling (xe_vfio_pci: xe-vfio-pci):
        // /sys/module/M/drivers/pci:NAME says which, once loaded (asked once per module and run).
        if (s.ToModule is { } m)
        {
            if (!_driverOfModule.TryGetValue(m, out var name))
            {
                name = kernel.Files.List($"/sys/module/{m}/drivers")
                    .FirstOrDefault(e => e.StartsWith("pci:", StringComparison.Ordinal))?[4..];
                _driverOfModule[m] = name;
            }
            if (name is not null) return name;
        }
        return s.ToDriver!;
    }

    /// <summary>Returns what this run touched to the state it had before the run, newest first.</summary>
    private static bool Rollback(List<DeviceStep> done, Dictionary<PciAddress, (string? Driver, string? Override, bool Added)> beforeRun,
        Journal journal, BindingOps ops, List<string> log)
    {
        bool ok = true;
        for (int i = done.Count - 1; i >= 0; i--)
        {
            var a = done[i].Address;
            var (driver, overrideValue, added) = beforeRun[a];
            try
            {
                ops.ReturnTo(a, driver, overrideValue);
                if (added) journal.Forget(a);
            }
            catch (KernelException e)
            {
                ok = false;
                log.Add($"rollback of {a} failed: {e.Message}");
            }
        }
        // Journaled by this run but never touched: nothing to restore.
        foreach (var (a, state) in beforeRun)
            if (state.Added && !done.Any(d => d.Address == a)) journal.Forget(a);
        journal.Save();
        return ok;
    }

    /// <summary>
    /// Returns journaled devices to the drivers they really had (none included) and clears the
    /// overrides vfioctl set; forgets them once back. <paramref name="only"/> limits it to some devices.
    /// A PF whose SR-IOV vfioctl changed loses the VFs vfioctl made, goes back to its driver and
    /// autoprobe, and gets its original VF count again; journaled VFs that go with them (or are
    /// gone already) are forgotten, not restored.
    /// </summary>
    public ExecutionResult Restore(IReadOnlyCollection<PciAddress>? only)
    {
        var log = new List<string>();
        var ops = new BindingOps(kernel, options.WriteTimeout, log.Add);
        var sriov = new SriovOps(kernel, options.WriteTimeout, options.SriovTimeout, log.Add);
        var journal = LoadJournal();
        var entries = journal.Entries.Where(e => only is null || only.Contains(PciAddress.Parse(e.Address))).ToList();
        var outcomes = new List<DeviceOutcome>();
        var errors = new List<string>();

        // PFs whose VFs restore removes: the count differs from the original, or the driver changes under them.
        var pfsLosingVfs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in entries.Where(e => e.SriovChanged))
        {
            var a = PciAddress.Parse(e.Address);
            if (!kernel.Files.DirectoryExists(BindingOps.DevicePath(a))) continue;
            int now = sriov.NumVfs(a) ?? 0;
            if (now > 0 && (now != e.OriginalNumVfs || ops.CurrentDriver(a) != e.OriginalDriver)) pfsLosingVfs.Add(e.Address);
        }

        // Userspace drivers first, fences last, PFs with SR-IOV state at the very end: the group never has
        // a kernel driver next to a vfio one with no fence, and VFs are dealt with before their PF.
        var ordered = new List<JournalEntry>(entries);
        ordered.Sort(static (x, y) => RestoreRank(x) != RestoreRank(y) ? RestoreRank(x) - RestoreRank(y) : string.CompareOrdinal(x.Address, y.Address));
        foreach (var e in ordered)
        {
            var a = PciAddress.Parse(e.Address);
            if (e.PhysFn is { } physfn && (pfsLosingVfs.Contains(physfn) || !kernel.Files.DirectoryExists(BindingOps.DevicePath(a))))
            {
                // A VF goes with its PF's VFs: nothing to return it to.
                journal.Forget(a);
                outcomes.Add(new DeviceOutcome(a, ops.CurrentDriver(a), null, $"VF of {physfn}: {(pfsLosingVfs.Contains(physfn) ? "removed with its PF's VFs" : "already gone")}; forgotten"));
                continue;
            }
            if (!kernel.Files.DirectoryExists(BindingOps.DevicePath(a)))
            {
                errors.Add($"{a} no longer exists (removed or its VFs disabled); dropped from the journal.");
                journal.Forget(a);
                continue;
            }
            var before = ops.CurrentDriver(a);
            try
            {
                if (e.SriovChanged)
                {
                    RestorePf(e, a, pfsLosingVfs.Contains(e.Address), ops, sriov, log);
                    ForgetVfsOf(journal, a);
                }
                else if (before != e.OriginalDriver || ops.CurrentOverride(a) != e.OriginalOverride)
                    ReturnToOriginal(e, a, ops, log);
                // Saved once at the end: after a crash here, a second restore of a device already
                // back on its original driver finds nothing to do.
                journal.Forget(a);
                outcomes.Add(new DeviceOutcome(a, before, e.OriginalDriver, e.SriovChanged ? $"restored with {e.OriginalNumVfs} VF(s)" : "restored"));
            }
            catch (KernelException ex)
            {
                errors.Add(ex.Message);
                // After a timed-out write the device may not even be readable (6.1): do not touch it.
                outcomes.Add(new DeviceOutcome(a, before, ex.Error == Errno.ETIMEDOUT ? null : ops.CurrentDriver(a), "not restored: " + ex.Message));
            }
        }
        journal.Save();
        return new ExecutionResult
        {
            Succeeded = errors.Count == 0,
            Error = errors.Count == 0 ? null : string.Join(Environment.NewLine, errors),
            Devices = [.. outcomes],
            Log = [.. log],
        };
    }

    /// <summary>The original driver (loading its module if it is gone) and override.</summary>
    private void ReturnToOriginal(JournalEntry e, PciAddress a, BindingOps ops, List<string> log)
    {
        if (e.OriginalDriver is { } d && !kernel.Files.DirectoryExists($"/sys/bus/pci/drivers/{d}") && e.OriginalModule is { } m)
        {
            kernel.LoadModule(m, []);
            log.Add($"loaded module {m}");
        }
        ops.ReturnTo(a, e.OriginalDriver, e.OriginalOverride);
    }

    /// <summary>
    /// A PF: its VFs go first (a vfio-pci PF whose enable_sriov was turned off refuses that with
    /// ENOENT; unbinding it removes them instead), then its driver, autoprobe, and its original VFs.
    /// </summary>
    private void RestorePf(JournalEntry e, PciAddress a, bool removeVfs, BindingOps ops, SriovOps sriov, List<string> log)
    {
        if (removeVfs)
        {
            try
            {
                sriov.SetNumVfs(a, 0);
            }
            catch (KernelException ex) when (ex.Error == Errno.ENOENT && DriverKinds.IsVfioDriver(ops.CurrentDriver(a)) && e.OriginalDriver != ops.CurrentDriver(a))
            {
                log.Add($"{a}: vfio-pci would not remove the VFs (enable_sriov off); unbinding it removes them");
            }
        }
        if (ops.CurrentDriver(a) != e.OriginalDriver || ops.CurrentOverride(a) != e.OriginalOverride)
            ReturnToOriginal(e, a, ops, log);
        if (e.OriginalAutoprobe is { } autoprobe && sriov.Autoprobe(a) != autoprobe)
            sriov.SetAutoprobe(a, autoprobe);
        if (e.OriginalNumVfs is > 0 and var n && sriov.NumVfs(a) != n)
        {
            if (sriov.NumVfs(a) is > 0) sriov.SetNumVfs(a, 0);
            sriov.SetNumVfs(a, n);
        }
    }

    // Orders as plain list sorts: LINQ's OrderBy over value-type keys is compiled at run time.
    private static int ApplyRank(DeviceStep s) => s.Action == StepAction.Fence ? 0 : 1;
    private static int RestoreRank(JournalEntry e) => e.SriovChanged ? 2 : e.BoundTo == "pci-stub" ? 1 : 0;

    /// <summary>Journal entries of VFs of <paramref name="pf"/> that no longer exist are forgotten.</summary>
    private void ForgetVfsOf(Journal journal, PciAddress pf)
    {
        foreach (var vf in journal.Entries.Where(v => v.PhysFn == pf.ToString()).ToList())
            if (!kernel.Files.DirectoryExists(BindingOps.DevicePath(PciAddress.Parse(vf.Address)))) journal.Forget(PciAddress.Parse(vf.Address));
    }

    /// <summary>Leaves devices without a driver (override "none" so no probe rebinds them), journaled for restore.</summary>
    public ExecutionResult Unbind(IReadOnlyCollection<PciAddress> devices, Func<PciAddress, int?> groupOf)
    {
        var log = new List<string>();
        var ops = new BindingOps(kernel, options.WriteTimeout, log.Add);
        var journal = LoadJournal();
        foreach (var a in devices)
        {
            var driver = ops.CurrentDriver(a);
            journal.Remember(new JournalEntry
            {
                Address = a.ToString(), OriginalDriver = driver, OriginalModule = driver is null ? null : ops.ModuleOf(driver),
                OriginalOverride = ops.CurrentOverride(a), Group = groupOf(a), ChangedUtc = DateTime.UtcNow,
                PhysFn = ops.PhysFnOf(a),
            });
        }
        journal.Save();
        var outcomes = new List<DeviceOutcome>();
        try
        {
            foreach (var a in devices)
            {
                var before = ops.CurrentDriver(a);
                // No driver is named "none": with this override no probe (rescan, new_id, hotplug) rebinds it.
                ops.SetOverride(a, "none");
                ops.Unbind(a);
                journal.SetBoundTo(a, "none");
                outcomes.Add(new DeviceOutcome(a, before, null, "unbound"));
            }
            journal.Save();
            return new ExecutionResult { Succeeded = true, Devices = [.. outcomes], Log = [.. log] };
        }
        catch (KernelException e)
        {
            journal.Save();
            return new ExecutionResult { Succeeded = false, Error = e.Message + " (run 'vfioctl restore' to return what was changed)", Devices = [.. outcomes], Log = [.. log] };
        }
    }
}
