using Vfio.Execution.Kernel;
using Vfio.Execution.Sriov;
using Vfio.Execution.State;
using Vfio.Policy.Drivers;

namespace Vfio.Execution.Assignment;

/// <summary>
/// Returns journaled devices to the drivers they really had (none included), clears the overrides
/// vfioctl set, and forgets them once back. A PF whose SR-IOV vfioctl changed loses the VFs
/// vfioctl made, goes back to its driver and autoprobe, and gets its original VF count again;
/// journaled VFs that go with them (or are gone already) are forgotten, not restored. Callers
/// hold the state lock and have planned the restore (<see cref="Vfio.Policy.Assignment.ReleasePlanner"/>).
/// </summary>
public sealed class Restorer(IKernel kernel, ExecutionOptions options)
{
    private readonly StateDirectory _state = StateDirectory.Of(kernel, options);

    /// <summary>Restores the journaled devices, or only <paramref name="only"/> of them.</summary>
    public ExecutionResult Restore(IReadOnlyCollection<PciAddress>? only)
    {
        var log = new List<string>();
        var ops = new BindingOps(kernel, options.WriteTimeout, log.Add);
        var sriov = new SriovOps(kernel, options.WriteTimeout, options.SriovTimeout, log.Add);
        var journal = _state.LoadJournal();
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

    // Orders as a plain list sort: LINQ's OrderBy over value-type keys is compiled at run time.
    private static int RestoreRank(JournalEntry e) => e.SriovChanged ? 2 : e.BoundTo == "pci-stub" ? 1 : 0;

    /// <summary>Journal entries of VFs of <paramref name="pf"/> that no longer exist are forgotten.</summary>
    private void ForgetVfsOf(Journal journal, PciAddress pf)
    {
        foreach (var vf in journal.Entries.Where(v => v.PhysFn == pf.ToString()).ToList())
            if (!kernel.Files.DirectoryExists(BindingOps.DevicePath(PciAddress.Parse(vf.Address)))) journal.Forget(PciAddress.Parse(vf.Address));
    }
}
