using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Policy.Drivers;
using Vfio.Policy.Viability;

namespace Vfio.Policy.Assignment;

/// <summary>
/// Plans a bind from the host model alone: whole groups move (every endpoint to the userspace
/// driver, fenced members to pci-stub, bridges stay), the vfio-pci variant is chosen from
/// modules.alias, and everything that would hurt the host or cannot work is refused with a reason.
/// </summary>
public static class AssignmentPlanner
{
    public static AssignmentPlan Plan(HostState host, ModuleAliases aliases, AssignmentRequest request)
    {
        if (request.NoIommu) return PlanNoIommu(host, request);
        var refusals = new List<Refusal>();
        var notes = new List<string>();
        var groups = new List<int>(); // distinct, sorted below (a SortedSet<int> is compiled at run time)

        if (!host.IommuEnabled)
            refusals.Add(new Refusal(null, "This host has no IOMMU groups, so nothing can be given to userspace safely (run 'vfioctl groups' for what to change). " +
                "vfio's unsafe no-IOMMU mode can still hand a device to a userspace driver that knows it has no isolation (DPDK), not to a VM: --noiommu asks for it.", false));

        foreach (var t in request.Targets)
        {
            var d = host.FindDevice(t);
            if (d is null) refusals.Add(new Refusal(t, $"No PCI device {t} on this host.", false));
            else if (d.IommuGroup is null) { if (host.IommuEnabled) refusals.Add(new Refusal(t, $"{t} has no IOMMU group.", false)); }
            else if (!groups.Contains(d.IommuGroup.Value)) groups.Add(d.IommuGroup.Value);
        }
        groups.Sort(static (a, b) => a.CompareTo(b));

        var fence = request.Fence.ToHashSet();
        foreach (var f in fence)
        {
            var d = host.FindDevice(f);
            if (d is null) refusals.Add(new Refusal(f, $"--fence {f}: no such PCI device.", false));
            else if (d.IommuGroup is not { } g || !groups.Contains(g))
                refusals.Add(new Refusal(f, $"--fence {f}: it is not in the group(s) being bound ({string.Join(", ", groups)}).", false));
        }

        var steps = new List<DeviceStep>();
        var barConflicts = new List<DeviceBarConflict>();
        var modules = new Dictionary<string, ModuleLoad>(StringComparer.Ordinal);
        void NeedModule(string module, string reason)
        {
            if (!host.Modules.Contains(module) && !modules.ContainsKey(module)) modules[module] = new ModuleLoad(module, [], reason);
        }

        foreach (var g in groups)
        {
            var group = host.FindGroup(g)!;
            if (host.GroupUsers.TryGetValue(g, out var users) && users.Length > 0)
                refusals.Add(new Refusal(null, $"Group {g} is open in userspace now ({group.VfioNode ?? $"/dev/vfio/{g}"} held by {string.Join(", ", users)}): it cannot be changed while in use; {StopFirst(users)}.", false));
            foreach (var other in group.OtherMembers)
                refusals.Add(new Refusal(null, $"Group {g} also holds '{other}', which is not a PCI device: vfioctl cannot move it.", false));

            foreach (var a in group.Devices)
            {
                var d = host.FindDevice(a);
                if (d is null) continue;
                var step = PlanMember(d, g, fence.Contains(a), request, aliases, notes);
                steps.Add(step);
                if (step.Action != StepAction.Keep)
                {
                    Safety(host, d, step, refusals);
                    if (step.ToDriver is { } to && DriverKinds.IsVfioDriver(to))
                        foreach (var c in d.BarConflicts)
                        {
                            bool cleared = VfioClearsFramebuffer(d);
                            barConflicts.Add(new DeviceBarConflict(d.Address, c, Refused: !cleared));
                            if (cleared)
                                notes.Add($"{d.Address} {c.Describe()}. {to} removes the firmware framebuffer from a VGA-class function when it binds it (kernel-facts section 10), so the bind frees the BAR (and the host loses that console); if /proc/iomem still shows {c.Owner} inside it afterwards: {c.Fix}.");
                        }
                    HeldVfioDevice(host, d, step, refusals);
                }
                if (step.ToModule is { } m && step.Action != StepAction.Keep)
                    NeedModule(m, $"provides {step.ToDriver} for {a}");
                if (step.ToDriver is { } drv && DriverKinds.IsVfioDriver(drv) && step.Action != StepAction.Keep)
                    NeedModule("vfio_iommu_type1", "the type1 IOMMU backend: without it VFIO_SET_IOMMU fails with ENODEV (vfio's softdep usually loads it; loaded explicitly in case it did not)");
            }

            // The group as it will be: still non-viable means the plan cannot work.
            foreach (var s in steps.Where(s => s.Group == g))
            {
                var d = host.FindDevice(s.Address)!;
                var after = s.Action == StepAction.Keep ? d.Driver : s.ToDriver;
                var kind = DriverKinds.Classify(after);
                if (ViabilityEvaluator.Blocks(d, kind, ViabilityRulesFor.Kernel(host.Kernel)))
                    refusals.Add(new Refusal(s.Address, $"{s.Address} would stay on {after}, which keeps group {g} non-viable: unbind it first or fence it (--fence {s.Address}).", false));
            }
        }

        return new AssignmentPlan
        {
            Request = request,
            Groups = [.. groups],
            Steps = [.. steps],
            Modules = [.. modules.Values],
            Refusals = [.. refusals],
            BarConflicts = [.. barConflicts],
            Notes = [.. notes],
        };
    }

    /// <summary>The warning every no-IOMMU plan and bind prints (docs/kernel-facts.md section 5d).</summary>
    public const string NoIommuWarning =
        "WARNING: no-IOMMU mode. Nothing confines the device's DMA: it can read and write any physical memory of this host, " +
        "and a bug or a hostile device firmware takes the whole machine. Turning it on taints the kernel. The device opens as " +
        "/dev/vfio/noiommu-N, only for root (CAP_SYS_RAWIO), and only programs that give the device physical addresses (DPDK) can use it; " +
        "a VMM cannot.";

    /// <summary>
    /// <c>--noiommu</c>: on a host without an IOMMU each target goes to vfio-pci alone (a no-IOMMU group
    /// holds one device), after vfio's <c>enable_unsafe_noiommu_mode</c> is turned on. The safety checks
    /// (boot VGA, devices in use) still apply.
    /// </summary>
    private static AssignmentPlan PlanNoIommu(HostState host, AssignmentRequest request)
    {
        var refusals = new List<Refusal>();
        var steps = new List<DeviceStep>();
        if (host.IommuEnabled)
            refusals.Add(new Refusal(null, "This host has an IOMMU: --noiommu is only for hosts without one, and would give up the isolation this host has. Bind without it.", false));
        if (request.Fence.Length > 0)
            refusals.Add(new Refusal(null, "--fence has no meaning with --noiommu: without an IOMMU there are no groups, each device goes alone.", false));
        if (!request.Driver.IsAuto && request.Driver.Value != DriverKinds.VfioPci)
            refusals.Add(new Refusal(null, $"--driver {request.Driver.Value}: no-IOMMU mode is vfio-pci's; use --driver vfio-pci or leave it out.", false));
        foreach (var t in request.Targets)
        {
            var d = host.FindDevice(t);
            if (d is null)
            {
                refusals.Add(new Refusal(t, $"No PCI device {t} on this host.", false));
                continue;
            }
            var step = new DeviceStep
            {
                Address = d.Address,
                Group = d.IommuGroup ?? -1,
                Action = d.Driver == DriverKinds.VfioPci ? StepAction.Keep : StepAction.Move,
                FromDriver = d.Driver,
                FromOverride = d.DriverOverride,
                ToDriver = d.Driver == DriverKinds.VfioPci ? null : DriverKinds.VfioPci,
                ToModule = d.Driver == DriverKinds.VfioPci ? null : "vfio_pci",
                Reason = d.Driver == DriverKinds.VfioPci ? "already on vfio-pci" : "no-IOMMU mode: vfio-pci, without DMA isolation",
            };
            if (d.IsBridge) refusals.Add(new Refusal(t, $"{t} is a bridge: bridges stay with the host.", false));
            steps.Add(step);
            if (step.Action != StepAction.Keep) Safety(host, d, step, refusals);
        }
        return new AssignmentPlan
        {
            Request = request,
            Groups = [],
            Steps = [.. steps],
            Modules = [new ModuleLoad("vfio", ["enable_unsafe_noiommu_mode=1"], "no-IOMMU mode (set through /sys/module/vfio/parameters too when vfio is already loaded)"),
                new ModuleLoad("vfio_pci", [], "provides vfio-pci")],
            Refusals = [.. refusals],
            Notes = [NoIommuWarning],
            EnableNoIommuMode = true,
        };
    }

    private static DeviceStep PlanMember(PciDevice d, int group, bool fenced, AssignmentRequest request, ModuleAliases aliases, List<string> notes)
    {
        var baseStep = new DeviceStep
        {
            Address = d.Address, Group = group, Action = StepAction.Keep, FromDriver = d.Driver, FromOverride = d.DriverOverride,
            Reason = "",
        };
        if (d.IsBridge && !fenced)
        {
            return baseStep with
            {
                Reason = d.Driver is null ? "bridge without a driver: stays as it is" : $"bridge on {d.Driver}: stays with the host (it does not block the group)",
            };
        }

        string driver, module, why;
        if (fenced)
        {
            (driver, module, why) = (DriverKinds.PciStub, "pci_stub", "fenced with --fence: pci-stub claims it so nothing can use it while the group is in userspace");
        }
        else if (request.Driver.IsAuto)
        {
            var choice = aliases.ChooseVfioDriver(d.Modalias);
            module = choice.Module;
            driver = ModuleToDriver(module);
            why = choice.Reason;
        }
        else
        {
            driver = request.Driver.Value;
            module = driver == DriverKinds.VfioPci ? "vfio_pci" : driver == DriverKinds.PciStub ? "pci_stub" : driver.Replace('-', '_');
            why = $"--driver {driver}";
            if (!DriverKinds.IsVfioDriver(driver) && driver != DriverKinds.PciStub)
                notes.Add($"--driver {driver} is not a vfio driver: the group will not be usable through VFIO unless {driver} manages DMA itself.");
        }

        if (d.Driver == driver && d.DriverOverride == driver)
            return baseStep with { ToDriver = driver, ToModule = module, Reason = $"already on {driver}" };
        return baseStep with
        {
            Action = fenced ? StepAction.Fence : StepAction.Move,
            ToDriver = driver,
            ToModule = module,
            Reason = why,
        };
    }

    /// <summary>The PCI driver name a module registers: vfio_pci registers "vfio-pci", pci_stub "pci-stub".</summary>
    public static string ModuleToDriver(string module) => module switch
    {
        "vfio_pci" => DriverKinds.VfioPci,
        "pci_stub" => DriverKinds.PciStub,
        _ => module,
    };

    /// <summary>"stop the VMM/program (pid 4242) first", naming every process.</summary>
    /// <summary>The processes holding <paramref name="address"/>'s VFIO device fd (its cdev, or a group's device fd the kernel names), each once.</summary>
    public static List<ProcessRef> DeviceFdHolders(HostState host, PciAddress address)
    {
        var holders = new List<ProcessRef>();
        foreach (var fd in host.VfioDeviceFds)
            if (fd.Device == address && !holders.Contains(fd.Process)) holders.Add(fd.Process);
        return holders;
    }

    public static string StopFirst(IEnumerable<ProcessRef> processes) =>
        $"stop the VMM/program ({string.Join(", ", processes.Select(p => $"pid {p.Pid}"))}) first";

    /// <summary>
    /// A device on a vfio driver that a process holds through its VFIO device fd (the iommufd cdev
    /// <c>/dev/vfio/devices/vfioN</c>, or a device fd whose fdinfo names it): moving it would make the
    /// unbind wait until that process closes it (kernel-facts section 2), so the plan is refused
    /// with the holders named. A group node held open is refused per group above.
    /// </summary>
    private static void HeldVfioDevice(HostState host, PciDevice d, DeviceStep step, List<Refusal> refusals)
    {
        if (!DriverKinds.OnVfio(d)) return;
        var holders = DeviceFdHolders(host, d.Address);
        if (holders.Count == 0) return;
        refusals.Add(new Refusal(d.Address,
            $"{d.Address} is on {d.Driver ?? "a vfio driver"} and open in userspace through its VFIO device ({string.Join(", ", holders)}): moving it to {step.ToDriver} would wait until it is closed; {StopFirst(holders)}.",
            false));
    }

    private static void Safety(HostState host, PciDevice d, DeviceStep step, List<Refusal> refusals)
    {
        var a = d.Address;
        if (d.Class is { IsHostBridge: true })
            refusals.Add(new Refusal(a, $"{a} is a host bridge: it is part of the platform, not a device to assign.", true));
        if (d.Class is { IsIsaBridge: true })
            refusals.Add(new Refusal(a, $"{a} is the ISA/LPC bridge: firmware interfaces, the TPM and legacy devices sit behind it.", true));
        if (d.IsBridge)
            refusals.Add(new Refusal(a, $"{a} is a bridge or port: taking it from pcieport removes hotplug, AER and power management below it.", true));
        if (d.BootVga)
            refusals.Add(new Refusal(a, $"{a} is the boot VGA: binding it to {step.ToDriver} removes the host's console.", true));
        foreach (var h in d.Holders.Where(h => h.InUse))
            refusals.Add(new Refusal(a, $"{a} is in use by the host: {h.Describe()}. {h.Hint}.", true));
        if (step.ToDriver is { } to && DriverKinds.IsVfioDriver(to) && DmaIsolation.Of(host, d) is { Reason: { } isolation })
            refusals.Add(new Refusal(a, isolation, true));
        // The firmware framebuffer keeps a BAR reserved: the vfio driver cannot reserve it, and
        // removes it by itself only from a VGA-class function (kernel-facts section 10).
        if (step.ToDriver is { } vfio && DriverKinds.IsVfioDriver(vfio) && !VfioClearsFramebuffer(d))
            foreach (var c in d.BarConflicts)
                refusals.Add(new Refusal(a, BarConflictReason(a, vfio, c), true));
    }

    /// <summary>
    /// vfio-pci (and every variant: it is vfio-pci-core's doing) removes the firmware framebuffers on
    /// a VGA-class function's apertures when it binds it; other display classes keep them
    /// (kernel-facts section 10).
    /// </summary>
    public static bool VfioClearsFramebuffer(PciDevice d) => d.Class is { IsVga: true };

    /// <summary>The refusal (or, forced, the warning) for a BAR the firmware framebuffer holds.</summary>
    public static string BarConflictReason(PciAddress a, string driver, BarConflict c) =>
        $"{a} {c.Describe()}: {driver} cannot reserve {(c.BarIndex is null ? "it" : c.BarName)} (the kernel logs '{driver} {a}: BAR {(c.BarIndex is { } i ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : "N")}: can't reserve [mem ...]') and the VM or program opening the device fails; a function that is not VGA-class gets no help from vfio-pci here. Fix: {c.Fix}.";
}
