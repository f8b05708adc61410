using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Policy.Assignment;
using Vfio.Policy.Drivers;

namespace Vfio.Policy.Sriov;

/// <summary>
/// Plans SR-IOV changes from the host model alone, following the kernel's rules
/// (drivers/pci/iov.c sriov_numvfs_store, vfio_pci.c; kernel-facts section 4, each seen on 6.1 and
/// 6.12): a count above <c>sriov_totalvfs</c> is ERANGE; a PF without a driver, or whose driver
/// has no <c>sriov_configure</c> (pci-stub, vfio-pci without <c>enable_sriov</c>), is ENOENT; a
/// non-zero count cannot change to another non-zero count (EBUSY), so N → M goes N → 0 → M;
/// vfio-pci refuses to bind a PF that has VFs (EBUSY); VFs of a vfio-pci PF get
/// <c>driver_override=vfio-pci</c> from the kernel and go to vfio-pci even with autoprobe off.
/// Removing VFs that userspace holds open would block, so it is refused with the holders named.
/// </summary>
public static class SriovPlanner
{
    /// <summary>Plans <c>vfioctl sriov enable</c>: the PF ends with <see cref="SriovRequest.NumVfs"/> VFs.</summary>
    public static SriovPlan PlanEnable(HostState host, ModuleAliases aliases, SriovFacts facts, SriovRequest request)
    {
        if (request.NumVfs < 1) throw new ArgumentOutOfRangeException(nameof(request), "an enable plan creates at least one VF");
        var refusals = new List<Refusal>();
        var notes = new List<string>();
        var pf = ValidatePf(host, request.Pf, refusals);
        var plan = new SriovPlan
        {
            Operation = SriovOperation.Enable, Pf = request.Pf, Request = request, Force = request.Force,
            PfDriver = pf?.Driver, TotalVfs = pf?.Sriov?.TotalVfs, CurrentVfs = CurrentVfs(pf), TargetVfs = request.NumVfs,
            Autoprobe = pf?.Sriov?.DriversAutoprobe,
        };
        if (pf is null || refusals.Count > 0)
            return plan with { Refusals = [.. refusals] };

        int total = pf.Sriov!.TotalVfs!.Value;
        int current = plan.CurrentVfs;
        if (request.NumVfs > total)
            refusals.Add(new Refusal(pf.Address, $"{pf.Address} supports at most {total} VFs (sriov_totalvfs); {request.NumVfs} asked (the kernel would answer ERANGE).", false));

        bool pfOnVfio = DriverKinds.Classify(pf) == DriverKind.Vfio;
        bool pfWillBeVfio = pfOnVfio || request.PfToVfioPci;
        AssignmentPlan? pfAssignment = null;
        if (request.PfToVfioPci && !pfOnVfio)
        {
            pfAssignment = AssignmentPlanner.Plan(host, aliases, new AssignmentRequest
            {
                Targets = [pf.Address],
                Driver = new DriverRequest(DriverKinds.VfioPci),
                Force = request.Force,
            });
        }
        else if (request.PfToVfioPci)
            notes.Add($"{pf.Address} is already on {pf.Driver}.");
        else
            PfDriverCanConfigure(pf, facts, pfOnVfio, refusals, forEnable: true);

        // Binding the VFs.
        bool kernelPfDriver = !pfWillBeVfio;
        switch (request.Bind)
        {
            case VfBinding.None when pfWillBeVfio:
                refusals.Add(new Refusal(pf.Address, $"--bind none cannot hold on a PF driven by vfio-pci: the kernel gives its VFs driver_override=vfio-pci and binds them to vfio-pci even with autoprobe off. Leave --bind out (auto).", false));
                break;
            case VfBinding.VfioPci when pfWillBeVfio:
                notes.Add("The VFs of a vfio-pci PF go to vfio-pci by themselves (the kernel sets their driver_override); nothing else to bind.");
                break;
        }

        // Autoprobe: what the user wants it to stay at, and what it must be while the VFs appear.
        bool? now = pf.Sriov.DriversAutoprobe;
        bool final = request.Autoprobe ?? now ?? true;
        bool duringCreation = kernelPfDriver && request.Bind is VfBinding.VfioPci or VfBinding.None ? false : final;

        // Removing the VFs there are: to change a non-zero count, and before vfio-pci takes the PF.
        bool pfMoves = pfAssignment is not null && pfAssignment.Changes.Any();
        bool removeFirst = current > 0 && (current != request.NumVfs || pfMoves);
        bool create = current != request.NumVfs || removeFirst;
        var open = ImmutableArray<OpenVf>.Empty;
        var steps = new List<SriovStep>();
        if (removeFirst)
        {
            open = OpenVfs.Find(host, facts, pf);
            RefuseOpenAndUsed(host, pf, open, refusals);
            steps.Add(new SriovStep
            {
                Action = SriovAction.RemoveVfs, NumVfs = 0,
                Reason = pfMoves
                    ? $"vfio-pci refuses to bind a PF that has VFs (EBUSY): its {current} VF(s) go first"
                    : $"{current} → 0 → {request.NumVfs}: the kernel does not change a non-zero VF count to another (EBUSY), so every VF is removed first",
            });
        }
        if (request.PfToVfioPci && facts.VfioPciEnableSriov != true)
        {
            steps.Add(new SriovStep
            {
                Action = SriovAction.EnableSriovInVfioPci,
                Reason = "vfio-pci creates VFs only with its enable_sriov parameter set (ENOENT otherwise); "
                    + (facts.VfioPciEnableSriov is null ? "vfio-pci is loaded with enable_sriov=1" : "set through /sys/module/vfio_pci/parameters/enable_sriov")
                    + ". It applies to every PF vfio-pci drives, and restore leaves it set",
            });
        }
        if (pfMoves)
            steps.Add(new SriovStep { Action = SriovAction.BindPf, Reason = "--pf-driver vfio-pci: the PF goes to vfio-pci through the assignment engine (journaled; restore returns it)" });
        if (create && duringCreation != (now ?? true))
        {
            steps.Add(new SriovStep
            {
                Action = SriovAction.SetAutoprobe, Autoprobe = duringCreation,
                Reason = duringCreation == final
                    ? $"--autoprobe {OnOff(final)}"
                    : $"autoprobe off while the VFs appear, so no kernel driver takes them before --bind {(request.Bind == VfBinding.VfioPci ? "vfio-pci" : "none")} is done",
            });
        }
        if (create)
        {
            steps.Add(new SriovStep
            {
                Action = SriovAction.CreateVfs, NumVfs = request.NumVfs,
                Reason = pfWillBeVfio
                    ? "the kernel gives each new VF driver_override=vfio-pci and binds it to vfio-pci"
                    : duringCreation ? $"the VFs are probed by the kernel as they appear (autoprobe on)" : "the VFs appear without a driver (autoprobe off)",
            });
        }
        else
            notes.Add($"{pf.Address} already has {current} VF(s): the count stays.");
        if (kernelPfDriver && request.Bind == VfBinding.VfioPci)
            steps.Add(new SriovStep { Action = SriovAction.BindVfs, Reason = "--bind vfio-pci: each VF goes to vfio-pci through the assignment engine (journaled; restore or disable undoes it)" });
        bool autoprobeAfter = create ? duringCreation : now ?? true;
        if (final != autoprobeAfter)
        {
            steps.Add(new SriovStep
            {
                Action = create && duringCreation != (now ?? true) ? SriovAction.ResetAutoprobe : SriovAction.SetAutoprobe,
                Autoprobe = final,
                Reason = request.Autoprobe is null ? "autoprobe back to what it was" : $"--autoprobe {OnOff(final)}",
            });
        }
        if (pfWillBeVfio)
            notes.Add($"VFs of a vfio-pci PF open only with the PF's VF token: set one with 'vfioctl sriov token {pf.Address} --generate'.");

        return plan with
        {
            Steps = [.. steps],
            PfAssignment = pfAssignment,
            OpenVfs = open,
            Refusals = [.. refusals],
            Notes = [.. notes],
        };
    }

    /// <summary>Plans <c>vfioctl sriov disable</c>: every VF of the PF is removed.</summary>
    public static SriovPlan PlanDisable(HostState host, SriovFacts facts, PciAddress pfAddress, bool force)
    {
        var refusals = new List<Refusal>();
        var notes = new List<string>();
        var pf = ValidatePf(host, pfAddress, refusals);
        var plan = new SriovPlan
        {
            Operation = SriovOperation.Disable, Pf = pfAddress, Force = force,
            PfDriver = pf?.Driver, TotalVfs = pf?.Sriov?.TotalVfs, CurrentVfs = CurrentVfs(pf), TargetVfs = 0,
            Autoprobe = pf?.Sriov?.DriversAutoprobe,
        };
        if (pf is null || refusals.Count > 0)
            return plan with { Refusals = [.. refusals] };
        if (plan.CurrentVfs == 0)
            return plan with { Notes = [$"{pf.Address} has no VFs: nothing to remove."] };

        PfDriverCanConfigure(pf, facts, DriverKinds.Classify(pf) == DriverKind.Vfio, refusals, forEnable: false);
        var open = OpenVfs.Find(host, facts, pf);
        RefuseOpenAndUsed(host, pf, open, refusals);
        return plan with
        {
            Steps = [new SriovStep { Action = SriovAction.RemoveVfs, NumVfs = 0, Reason = $"every VF of {pf.Address} is removed ({plan.CurrentVfs} → 0)" }],
            OpenVfs = open,
            Refusals = [.. refusals],
            Notes = [.. notes],
        };
    }

    /// <summary>The PF as a PF: it exists, is not a VF, has the SR-IOV files, and its total is readable.</summary>
    private static PciDevice? ValidatePf(HostState host, PciAddress address, List<Refusal> refusals)
    {
        var d = host.FindDevice(address);
        if (d is null)
            refusals.Add(new Refusal(address, $"No PCI device {address} on this host.", false));
        else if (d.PhysFn is { } physfn)
            refusals.Add(new Refusal(address, $"{address} is a VF (of {physfn}), not a PF: a VF has no VFs of its own. Name its PF: {physfn}.", false));
        else if (d.Sriov is null)
            refusals.Add(new Refusal(address, $"{address} is not an SR-IOV PF: it has no sriov_totalvfs (no SR-IOV capability, or the kernel was built without PCI_IOV). 'vfioctl sriov list' shows the PFs there are.", false));
        else if (d.Sriov.TotalVfs is null)
            refusals.Add(new Refusal(address, $"{address}: sriov_totalvfs is unreadable, so the VF limit is unknown.", false));
        return d;
    }

    private static int CurrentVfs(PciDevice? pf) => pf?.Sriov is { } s ? s.NumVfs ?? s.VirtualFunctions.Length : 0;

    /// <summary>Refuses a PF whose driver the kernel will not ask to configure SR-IOV (ENOENT from sriov_numvfs).</summary>
    private static void PfDriverCanConfigure(PciDevice pf, SriovFacts facts, bool pfOnVfio, List<Refusal> refusals, bool forEnable)
    {
        var a = pf.Address;
        var enableSriovFix = forEnable
            ? "Add --pf-driver vfio-pci to set it, or: echo Y > /sys/module/vfio_pci/parameters/enable_sriov"
            : $"Set it (echo Y > /sys/module/vfio_pci/parameters/enable_sriov), or return the PF to its own driver with 'vfioctl restore {a}': vfio-pci removes the VFs when it lets the PF go";
        if (pf.Driver is null)
            refusals.Add(new Refusal(a, $"{a} has no driver: the kernel changes VFs only through the PF's driver (ENOENT: \"no driver bound to device; cannot configure SR-IOV\"). Bind its driver again ('vfioctl restore {a}' if vfioctl moved it)" + (forEnable ? ", or add --pf-driver vfio-pci to drive it from userspace." : "."), false));
        else if (pf.Driver == DriverKinds.PciStub)
            refusals.Add(new Refusal(a, $"{a} is on pci-stub, which has no SR-IOV support (the kernel would answer ENOENT). Return it to its own driver first.", false));
        else if (pfOnVfio && facts.VfioPciEnableSriov != true)
            refusals.Add(new Refusal(a, $"{a} is on {pf.Driver}, which changes VFs only with vfio-pci's enable_sriov parameter set, and it is not (the kernel would answer ENOENT). {enableSriovFix}.", false));
    }

    /// <summary>VFs open in userspace block removal (never overridable); VFs the host uses (mounted, addressed) are overridable.</summary>
    private static void RefuseOpenAndUsed(HostState host, PciDevice pf, ImmutableArray<OpenVf> open, List<Refusal> refusals)
    {
        foreach (var o in open)
        {
            refusals.Add(new Refusal(o.Address, o.Certain
                ? $"{o.Reason}: removing it would block until that process closes it. Stop that program first."
                : $"{o.Reason}: removing it would block until it is closed. Stop the program that drives it, or --force to try (the write is then bounded by the timeout).", !o.Certain));
        }
        foreach (var vfAddress in pf.Sriov?.VirtualFunctions ?? [])
        {
            if (host.FindDevice(vfAddress) is not { } vf) continue;
            foreach (var h in vf.Holders.Where(h => h.InUse))
                refusals.Add(new Refusal(vfAddress, $"VF {vfAddress} is in use by the host: {h.Describe()}. Removing the VFs takes it away: {char.ToLowerInvariant(h.Hint[0])}{h.Hint[1..]}, or --force.", true));
        }
    }

    private static string OnOff(bool value) => value ? "on" : "off";
}
