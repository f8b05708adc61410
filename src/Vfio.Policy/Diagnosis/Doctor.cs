using System.Collections.Immutable;
using System.Globalization;
using Vfio.Host.Model;
using Vfio.Policy.Drivers;
using Vfio.Policy.Viability;

namespace Vfio.Policy.Diagnosis;

/// <summary>
/// <c>vfioctl doctor</c>'s judgement (docs/doctor.md): the host checks that decide whether any device
/// can go to userspace (IOMMU, interrupt remapping, VFIO modules, no-IOMMU mode, locked memory,
/// huge pages, KVM, vfioctl's own state), then the devices: the ones named, or else every device
/// on VFIO, moved by vfioctl or with a BAR the firmware framebuffer holds.
/// </summary>
public static class Doctor
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static DoctorReport Diagnose(DoctorInput input)
    {
        var host = input.Host;
        var verdicts = ViabilityEvaluator.EvaluateAll(host);
        var findings = new List<Finding>
        {
            Kernel(host, input.Support),
            Iommu(host, input.Support),
        };
        if (host.IommuEnabled) findings.Add(InterruptRemappingCheck(host, input.Support));
        findings.Add(VfioModules(input.Support));
        if (host.NoIommuMode) findings.Add(NoIommuModeCheck());
        if (input.Support.EffectiveUid is > 0)
            findings.Add(new Finding
            {
                Check = Checks.Privileges,
                Severity = Severity.Info,
                Summary = $"Running as uid {input.Support.EffectiveUid}, not root: other users' processes holding devices are not seen, /proc/iomem hides its addresses, and vfioctl's state may be unreadable.",
                Fix = "Run doctor as root for the complete picture.",
            });
        if (Memlock(input.Support) is { } memlock) findings.Add(memlock);
        findings.Add(HugePages(input.Support));
        findings.Add(Kvm(host, input.Support));
        if (host.IommuEnabled) findings.Add(GroupsSummary(host, verdicts));
        findings.AddRange(JournalChecks(input));
        findings.AddRange(DeclaredChecks(input));

        var journaled = (input.Journal ?? []).Select(j => j.Address).ToHashSet();
        var devices = input.Targets.Length > 0
            ? input.Targets.Distinct().Select(a => host.FindDevice(a)).OfType<PciDevice>()
            : host.Devices.Where(d => DriverKinds.OnVfio(d) || journaled.Contains(d.Address) || d.BarConflicts.Length > 0);
        foreach (var d in devices)
            findings.AddRange(DeviceDiagnosis.Of(input, d, verdicts, focused: input.Targets.Contains(d.Address)));
        return new DoctorReport { Findings = [.. findings] };
    }

    private static Finding Kernel(HostState host, HostSupport support)
    {
        var details = new List<string>();
        if (host.Machine.Hypervisor)
            details.Add($"A virtual machine{(IommuDiagnosis.HypervisorName(host) is { } n ? $" ({n})" : "")}: its IOMMU and interrupt remapping come from the hypervisor.");
        details.Add(host.Iommufd
            ? "iommufd: /dev/iommu exists; devices open through their cdev (/dev/vfio/devices/vfioN) as well as through the group."
            : support.ModuleStateOf("iommufd") switch
            {
                ModuleState.Available => "iommufd: not loaded (modprobe iommufd makes /dev/iommu); devices open through the legacy container.",
                ModuleState.Missing => "iommufd: not in this kernel; devices open through the legacy container (/dev/vfio/vfio).",
                _ => "iommufd: no /dev/iommu; devices open through the legacy container (/dev/vfio/vfio).",
            });
        if (host.Kernel is { } k && host.Iommufd)
            details.Add(k >= new KernelVersion(6, 17)
                ? "VF tokens go through the cdev bind too (6.17 and later)."
                : "VF tokens go through the group only: the cdev bind takes a token from 6.17.");
        return new Finding
        {
            Check = Checks.Kernel,
            Severity = Severity.Info,
            Summary = $"Linux {host.KernelRelease ?? "(release unreadable)"}",
            Details = [.. details],
        };
    }

    private static Finding Iommu(HostState host, HostSupport support)
    {
        var tables = support.IommuTables.Length > 0
            ? $"the firmware describes an IOMMU (ACPI {string.Join(", ", support.IommuTables)})"
            : support.AcpiTablesReadable ? "the firmware describes no IOMMU (no ACPI DMAR or IVRS table)" : null;
        if (host.IommuEnabled)
        {
            var details = new List<string>();
            if (host.IommuUnits.Length > 0) details.Add($"IOMMU units: {string.Join(", ", host.IommuUnits)}{(tables is null ? "" : $"; {tables}")}.");
            var types = host.Groups.Select(g => g.Type).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
            if (types.Count > 0) details.Add($"Default domain types: {string.Join(", ", types)}.");
            if (types.Contains("identity"))
                details.Add("Identity (pass-through, iommu=pt) domains let host drivers skip translation; a group given to VFIO still gets its own translated domain.");
            return new Finding
            {
                Check = Checks.Iommu,
                Severity = Severity.Ok,
                Summary = $"IOMMU on: {host.Groups.Length} IOMMU group(s).",
                Details = [.. details],
            };
        }
        var lines = (IommuDiagnosis.Explain(host) ?? "").Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries).ToList();
        if (tables is not null) lines.Add(char.ToUpperInvariant(tables[0]) + tables[1..] + ".");
        string fix = IommuDiagnosis.KindOf(host) == MachineKind.VirtualMachine
            ? "Give the virtual machine an IOMMU (QEMU: -device intel-iommu,intremap=on,caching-mode=on with -machine q35,kernel-irqchip=split) and boot it with intel_iommu=on."
            : support.IommuTables.Length > 0 || host.IommuUnits.Length > 0
                ? "Boot with intel_iommu=on (Intel) or amd_iommu=on (AMD) and without iommu=off."
                : "Enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup, then boot with intel_iommu=on or amd_iommu=on.";
        return new Finding
        {
            Check = Checks.Iommu,
            Severity = Severity.Problem,
            Summary = "No IOMMU: no device can be given to userspace with DMA isolation.",
            Details = [.. lines.Skip(1)],
            Fix = fix,
        };
    }

    /// <summary>
    /// Without interrupt remapping vfio_iommu_type1 refuses VFIO_SET_IOMMU and iommufd refuses the
    /// device bind, both with EPERM, unless their allow_unsafe_interrupts is set (kernel-facts section 11).
    /// </summary>
    private static Finding InterruptRemappingCheck(HostState host, HostSupport support)
    {
        string chips = support.InterruptChips.Length > 0 ? string.Join(", ", support.InterruptChips) : "";
        switch (support.InterruptRemapping)
        {
            case InterruptRemapping.Active:
                return new Finding
                {
                    Check = Checks.InterruptRemapping,
                    Severity = Severity.Ok,
                    Summary = "Interrupt remapping is active: devices cannot forge MSIs.",
                    Details = [$"/proc/interrupts lists {chips}."],
                };
            case InterruptRemapping.Unknown:
                return new Finding
                {
                    Check = Checks.InterruptRemapping,
                    Severity = Severity.Info,
                    Summary = "Interrupt remapping could not be checked: /proc/interrupts lists no MSI or IO-APIC interrupt (or could not be read).",
                };
        }
        bool type1 = support.Type1AllowUnsafeInterrupts == true;
        bool iommufd = support.IommufdAllowUnsafeInterrupts == true;
        var details = new List<string> { $"/proc/interrupts lists {chips} without the IR- prefix of remapped interrupts." };
        var cmd = " " + (host.CommandLine ?? "") + " ";
        var offArgs = cmd.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(a => a is "intremap=off" or "nointremap" or "intremap=nosid").ToList();
        if (offArgs.Count > 0) details.Add($"The kernel command line turns it off: {string.Join(" ", offArgs)}.");
        details.Add($"allow_unsafe_interrupts: vfio_iommu_type1 {Param(support.Type1AllowUnsafeInterrupts)}, iommufd {Param(support.IommufdAllowUnsafeInterrupts)}.");
        string enable = offArgs.Count > 0
            ? $"Remove {string.Join(" ", offArgs)} from the kernel command line"
            : host.Machine.Hypervisor
                ? "Give the virtual machine an IOMMU with interrupt remapping (QEMU: -device intel-iommu,intremap=on with -machine q35,kernel-irqchip=split)"
                : "Enable interrupt remapping: VT-d/AMD-Vi with interrupt remapping (and x2APIC) in the firmware setup, and no intremap=off or nointremap on the kernel command line";
        if (type1 || iommufd)
        {
            details.Add("A device can write to the MSI address range and raise interrupts it was not given, on the host or in other guests.");
            return new Finding
            {
                Check = Checks.InterruptRemapping,
                Severity = Severity.Warning,
                Summary = $"Interrupt remapping is not active; allow_unsafe_interrupts lets {(type1 && iommufd ? "both backends" : type1 ? "the legacy container" : "iommufd")} run without it{(type1 && iommufd ? "" : type1 ? " (iommufd still refuses the device bind)" : " (the container still refuses VFIO_SET_IOMMU)")}.",
                Details = [.. details],
                Fix = enable + ", then drop allow_unsafe_interrupts.",
            };
        }
        details.Add("Without it the kernel refuses VFIO: VFIO_SET_IOMMU on /dev/vfio/vfio (vfio_iommu_type1) and VFIO_DEVICE_BIND_IOMMUFD on a device cdev (iommufd) fail with EPERM, and the kernel log says \"No interrupt remapping support\" or \"MSI interrupts are not secure\".");
        return new Finding
        {
            Check = Checks.InterruptRemapping,
            Severity = Severity.Problem,
            Summary = "Interrupt remapping is not active: the kernel refuses to give devices to userspace (EPERM).",
            Details = [.. details],
            Fix = enable + ". Or, accepting that an assigned device can forge interrupts: vfio_iommu_type1.allow_unsafe_interrupts=1 and iommufd.allow_unsafe_interrupts=1 on the kernel command line (or an options line in /etc/modprobe.d).",
        };
    }

    private static string Param(bool? value) => value switch { true => "Y", false => "N", null => "not set" };

    private static Finding VfioModules(HostSupport support)
    {
        string State(string m) => support.ModuleStateOf(m) switch
        {
            ModuleState.Loaded => "loaded",
            ModuleState.BuiltIn => "built in",
            ModuleState.Available => "available",
            ModuleState.Missing => "missing",
            _ => "unknown",
        };
        var details = ImmutableArray.Create(
            $"vfio {State("vfio")}, vfio_pci {State("vfio_pci")}, vfio_iommu_type1 {State("vfio_iommu_type1")}, iommufd {State("iommufd")}, pci_stub {State("pci_stub")}.",
            support.ContainerNode ? "/dev/vfio/vfio (the legacy container) exists." : "/dev/vfio/vfio does not exist (vfio is not loaded yet, or the kernel has no VFIO_CONTAINER).");
        var pci = support.ModuleStateOf("vfio_pci");
        if (pci == ModuleState.Missing)
            return new Finding
            {
                Check = Checks.VfioModules,
                Severity = Severity.Problem,
                Summary = "This kernel has no vfio-pci: it is neither loaded, built in nor installed as a module.",
                Details = details,
                Fix = "Install a kernel built with CONFIG_VFIO_PCI (every distribution kernel has it as a module), or the package with its modules.",
            };
        if (pci == ModuleState.Unknown)
            return new Finding { Check = Checks.VfioModules, Severity = Severity.Info, Summary = "The kernel's modules could not be checked (no modules.dep for this release).", Details = details };
        bool type1Missing = support.ModuleStateOf("vfio_iommu_type1") == ModuleState.Missing;
        bool iommufdThere = support.ModuleStateOf("iommufd") is ModuleState.Loaded or ModuleState.BuiltIn or ModuleState.Available;
        return new Finding
        {
            Check = Checks.VfioModules,
            Severity = type1Missing && !iommufdThere ? Severity.Problem : Severity.Ok,
            Summary = type1Missing && !iommufdThere
                ? "vfio-pci is there but no IOMMU backend is: neither vfio_iommu_type1 nor iommufd."
                : $"vfio-pci is {State("vfio_pci")}{(pci == ModuleState.Available ? " (bind loads it)" : "")}.",
            Details = details,
            Fix = type1Missing && !iommufdThere ? "Install a kernel with CONFIG_VFIO_IOMMU_TYPE1 or CONFIG_IOMMUFD." : null,
        };
    }

    private static Finding NoIommuModeCheck() => new()
    {
        Check = Checks.NoIommuMode,
        Severity = Severity.Warning,
        Summary = "vfio's unsafe no-IOMMU mode is on: a device bound to vfio-pci without an IOMMU group opens as /dev/vfio/noiommu-N with no DMA isolation at all.",
        Details = ["The device can read and write any memory of this machine; opening one taints the kernel; only root can, and no VMM accepts such a device."],
        Fix = "Turn it off when no program uses such a device: echo N > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode.",
    };

    private static Finding? Memlock(HostSupport support)
    {
        if (support.EffectiveUid is not { } uid) return null;
        if (uid == 0)
            return new Finding
            {
                Check = Checks.Memlock,
                Severity = Severity.Ok,
                Summary = "Running as root: CAP_IPC_LOCK lifts RLIMIT_MEMLOCK for the memory VFIO pins.",
                Details = ["A VMM or driver run as another user pins its DMA memory (all guest RAM for a VM) against its own RLIMIT_MEMLOCK; libvirt raises it for its guests."],
            };
        if (support.MemlockBytes is not { } bytes) return null;
        bool small = bytes != long.MaxValue && bytes < 1L << 30;
        return new Finding
        {
            Check = Checks.Memlock,
            Severity = small ? Severity.Warning : Severity.Ok,
            Summary = $"RLIMIT_MEMLOCK of this user (uid {uid}) is {FormatBytes(bytes)}{(small ? ": a program run like this can pin no more than that for DMA" : "")}.",
            Details = ["Every DMA mapping through VFIO (the container or iommufd) pins its pages and counts against this limit; mapping beyond it fails with ENOMEM."],
            Fix = small ? "Raise it for the program: LimitMEMLOCK= in its systemd unit, a memlock line in /etc/security/limits.conf, or prlimit --memlock=BYTES:BYTES --pid PID as root." : null,
        };
    }

    private static Finding HugePages(HostSupport support)
    {
        var pools = support.HugePages;
        if (pools.IsEmpty)
            return new Finding { Check = Checks.HugePages, Severity = Severity.Info, Summary = "No huge page pools (the kernel has no hugetlbfs, or it could not be read)." };
        var details = pools.Select(p => string.Create(Inv, $"{FormatBytes(p.SizeKiB * 1024)} pages: {p.Total} reserved, {p.Free} free.")).ToImmutableArray();
        bool none = pools.All(p => p.Total == 0);
        return new Finding
        {
            Check = Checks.HugePages,
            Severity = Severity.Info,
            Summary = none ? "No huge pages are reserved." : string.Create(Inv, $"{pools.Sum(p => p.Free * p.SizeKiB) / 1024} MiB of huge pages free."),
            Details = details,
            Fix = none ? "DPDK and SPDK need them, and VMs run faster on them: echo 512 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages (or hugepages= on the kernel command line)." : null,
        };
    }

    private static Finding Kvm(HostState host, HostSupport support) => support.Kvm
        ? new Finding { Check = Checks.Kvm, Severity = Severity.Ok, Summary = "/dev/kvm exists: a VMM can run guests with hardware virtualization." }
        : new Finding
        {
            Check = Checks.Kvm,
            Severity = Severity.Info,
            Summary = "No /dev/kvm: a VMM given a device here runs its guest without hardware virtualization (far slower); userspace drivers do not need it.",
            Fix = host.Machine.Hypervisor
                ? "Enable nested virtualization on the hypervisor, then modprobe kvm_intel or kvm_amd."
                : "Enable VT-x or AMD-V in the firmware setup, then modprobe kvm_intel or kvm_amd.",
        };

    private static Finding GroupsSummary(HostState host, ImmutableDictionary<int, GroupVerdict> verdicts)
    {
        int assigned = verdicts.Values.Count(v => v.Status == GroupStatus.Assigned);
        int viable = verdicts.Values.Count(v => v.Status == GroupStatus.Viable);
        var blocked = verdicts.Values.Where(v => v.Status == GroupStatus.Blocked).OrderBy(v => v.Group.Id).ToList();
        return new Finding
        {
            Check = Checks.Groups,
            Severity = Severity.Info,
            Summary = $"{verdicts.Count} IOMMU group(s): {assigned} assigned, {viable} can be assigned, {blocked.Count} blocked.",
            // A large host can have dozens: the first ten, and where the rest are.
            Details = [.. blocked.Take(10).Select(v => $"group {v.Group.Id}: {string.Join(" ", v.Reasons)}"),
                .. blocked.Count > 10 ? new[] { $"... and {blocked.Count - 10} more: `vfioctl groups` lists them all." } : []],
        };
    }

    private static List<Finding> JournalChecks(DoctorInput input)
    {
        var found = new List<Finding>();
        if (input.StateProblem is { } problem)
        {
            found.Add(input.StateDamaged
                ? new Finding { Check = Checks.Journal, Severity = Severity.Warning, Summary = $"vfioctl's state is damaged or unsafe: {problem}", Fix = "Do what the message says before the next bind or restore: they read the same files." }
                : new Finding { Check = Checks.Journal, Severity = Severity.Info, Summary = $"vfioctl's state could not be read: {problem}", Fix = "Run doctor as root to check what vfioctl has assigned." });
            return found;
        }
        var journal = input.Journal ?? [];
        var inPlace = new List<JournaledDevice>();
        foreach (var j in journal.OrderBy(j => j.Address, Comparer<PciAddress>.Create(PciAddress.Order)))
        {
            var d = input.Host.FindDevice(j.Address);
            string back = j.OriginalDriver is { } o ? $"its original driver {o}" : "no driver, as it had";
            if (d is null)
                found.Add(new Finding
                {
                    Check = Checks.Journal,
                    Severity = Severity.Warning,
                    Device = j.Address,
                    Summary = $"vfioctl moved {j.Address} (from {j.OriginalDriver ?? "no driver"}), and it is gone now (removed, or a VF whose PF lost its VFs).",
                    Fix = $"`vfioctl restore {j.Address}` forgets it when it is not coming back.",
                });
            else if (j.BoundTo is { } to && d.Driver != to)
                found.Add(new Finding
                {
                    Check = Checks.Journal,
                    Severity = Severity.Warning,
                    Device = j.Address,
                    Summary = $"vfioctl bound {j.Address} to {to}, and it is on {d.Driver ?? "no driver"} now: something else changed it.",
                    Fix = $"`vfioctl restore {j.Address}` returns it to {back}; `vfioctl bind {j.Address}` gives it to userspace again.",
                });
            else inPlace.Add(j);
        }
        if (inPlace.Count > 0)
            found.Add(new Finding
            {
                Check = Checks.Journal,
                Severity = Severity.Ok,
                Summary = $"{inPlace.Count} device(s) moved by vfioctl, each still on the driver it was given.",
                Details = [.. inPlace.Select(j => $"{j.Address}: on {j.BoundTo ?? "no driver"}, was {j.OriginalDriver ?? "on no driver"}.")],
            });
        return found;
    }

    private static List<Finding> DeclaredChecks(DoctorInput input)
    {
        var found = new List<Finding>();
        if (input.DeclaredSource is not { } source) return found;
        if (input.DeclaredProblem is { } problem)
        {
            found.Add(new Finding { Check = Checks.Declared, Severity = Severity.Problem, Summary = $"{source} cannot be used: {problem}", Fix = $"Fix {source}: apply at boot reads it." });
            return found;
        }
        foreach (var e in input.Declared.Where(e => !e.InPlace))
            found.Add(new Finding
            {
                Check = Checks.Declared,
                Severity = e.Refused ? Severity.Problem : Severity.Warning,
                Device = e.Address,
                Summary = e.Refused
                    ? $"{source} line {e.Line} cannot be applied: {e.Detail}"
                    : $"Not as {source} line {e.Line} declares: {e.Detail}",
                Fix = e.Refused ? $"Fix what is named, or remove the entry with `vfioctl persist remove {e.Address}`." : "`vfioctl apply` converges the host (the boot unit does at every boot).",
            });
        int ok = input.Declared.Count(e => e.InPlace);
        if (ok > 0 || input.Declared.IsEmpty)
            found.Add(new Finding
            {
                Check = Checks.Declared,
                Severity = Severity.Ok,
                Summary = input.Declared.IsEmpty ? $"{source} declares nothing." : $"{ok} entr{(ok == 1 ? "y" : "ies")} of {source} in place.",
            });
        return found;
    }

    internal static string FormatBytes(long bytes) =>
        bytes == long.MaxValue ? "unlimited"
        : bytes >= 1L << 30 && bytes % (1L << 30) == 0 ? string.Create(Inv, $"{bytes >> 30} GiB")
        : bytes >= 1L << 20 && bytes % (1L << 20) == 0 ? string.Create(Inv, $"{bytes >> 20} MiB")
        : bytes >= 1L << 10 && bytes % (1L << 10) == 0 ? string.Create(Inv, $"{bytes >> 10} KiB")
        : string.Create(Inv, $"{bytes} bytes");
}
