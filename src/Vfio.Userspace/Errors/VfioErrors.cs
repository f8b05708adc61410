using System.Globalization;
using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// The failures whose explanation needs more than an errno: each reads what it needs (sysfs, /proc,
/// rlimits) and says what blocks and the next step.
/// </summary>
internal static class VfioErrors
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>open(/dev/vfio/N) failed.</summary>
    public static VfioException GroupOpen(int group, Errno errno, SystemPaths paths, uint euid, string? forDevice = null)
    {
        var node = SystemPaths.KernelGroupNode(group);
        string op = "open " + node;
        string groupName = $"IOMMU group {group}";
        switch (errno)
        {
            case Errno.ENOENT:
            {
                var members = paths.Members(group);
                string list = members.Count == 0 ? "" : " Members: " + string.Join(", ", members.Select(Describe)) + ".";
                string first = forDevice ?? members.FirstOrDefault(m => !m.AllowsUserOwnership)?.Name ?? members.FirstOrDefault()?.Name ?? "ADDRESS";
                return new VfioException(VfioErrorKind.GroupNodeMissing, op, node, errno,
                    $"{node} does not exist: no device of {groupName} is bound to a vfio driver.{list}",
                    $"bind the group to vfio-pci, e.g. `vfioctl bind {first}`.");
            }
            case Errno.EACCES:
            case Errno.EPERM:
            {
                var st = FileStatus.Of(paths.GroupNode(group));
                string owner = st is { } s
                    ? string.Create(Inv, $" (owner uid {s.Uid}, gid {s.Gid}, mode {Convert.ToString(s.Mode & 0xfff, 8)})")
                    : "";
                var (soft, _) = Libc.MemlockLimit();
                return new VfioException(VfioErrorKind.GroupNodeNotAccessible, op, node, errno,
                    string.Create(Inv, $"the group node {node} is not accessible to this user (uid {euid}){owner}: {groupName} has not been granted to it."),
                    string.Create(Inv, $"grant the group as root: `chown {euid} {node}` (or a udev rule for vfio group nodes), and give the process enough RLIMIT_MEMLOCK for the DMA it maps (now {FormatLimit(soft)}; e.g. `prlimit --memlock=BYTES:BYTES`)."));
            }
            case Errno.EBUSY:
            {
                var holders = paths.Holders(node);
                string who = holders.Count == 0
                    ? "another process holds it (none visible to this user; as root, `fuser -v " + node + "` names it)"
                    : "held by " + string.Join(", ", holders.Select(h => string.Create(Inv, $"pid {h.Pid} ({h.Command}){(h.Pid == Environment.ProcessId ? " = this process" : "")}")));
                return new VfioException(VfioErrorKind.GroupBusy, op, node, errno,
                    $"{groupName} is already open: the kernel allows one open of {node} at a time; {who}.",
                    holders.Count > 0 && holders.All(h => h.Pid == Environment.ProcessId)
                        ? "reuse the VfioGroup this process already has open, or dispose it first."
                        : "stop the holder (or wait for it to exit), then retry.");
            }
            default:
                return new VfioException(VfioErrorKind.Failed, op, node, errno, $"the kernel refused to open {node}.");
        }
    }

    /// <summary>
    /// A member's kernel driver owns DMA: VFIO_GROUP_SET_CONTAINER failed with EPERM, or (iommufd)
    /// VFIO_DEVICE_BIND_IOMMUFD with EBUSY.
    /// </summary>
    public static VfioException NotViable(int group, IReadOnlyList<VfioGroupMember> members, string operation = "VFIO_GROUP_SET_CONTAINER", Errno errno = Errno.EPERM, string? node = null)
    {
        node ??= SystemPaths.KernelGroupNode(group);
        var blockers = members.Where(m => !m.AllowsUserOwnership).ToList();
        string detail = blockers.Count == 0
            ? $"IOMMU group {group} is not viable (the kernel says a member's driver owns DMA; sysfs shows no blocker now: {string.Join(", ", members.Select(Describe))})."
            : $"IOMMU group {group} is not viable: " + string.Join("; ", blockers.Select(b => $"{b.Name} is bound to {b.Driver}, a kernel driver that owns DMA")) + ".";
        string hint = blockers.Count == 0
            ? "check the group's drivers with `vfioctl show` and retry."
            : $"move the whole group to userspace: `vfioctl bind {string.Join(' ', blockers.Select(b => b.Name))}` (vfio-pci), or fence a member the program does not drive with `--fence ADDRESS` (pci-stub).";
        return new VfioException(VfioErrorKind.GroupNotViable, operation, node, errno, detail, hint);
    }

    /// <summary>A DMA map (VFIO_IOMMU_MAP_DMA, IOMMU_IOAS_MAP, IOMMU_IOAS_MAP_FILE) failed with ENOMEM: pinning would exceed RLIMIT_MEMLOCK.</summary>
    public static VfioException Memlock(ulong iova, ulong length, ulong soft, ulong hard, string operation = "VFIO_IOMMU_MAP_DMA", string node = "/dev/vfio/vfio")
    {
        string detail = string.Create(Inv,
            $"pinning {length} bytes at IOVA 0x{iova:x} exceeded RLIMIT_MEMLOCK (soft {FormatLimit(soft)}, hard {FormatLimit(hard)}); every mapping of this process counts against it.");
        string hint = string.Create(Inv,
            $"raise RLIMIT_MEMLOCK for this process: `prlimit --pid {Environment.ProcessId} --memlock=BYTES:BYTES` as root, `ulimit -l KIB` in the shell that starts it, LimitMEMLOCK= in a systemd unit or a memlock line in /etc/security/limits.conf; a process with CAP_IPC_LOCK (root) has no limit.");
        return new VfioException(VfioErrorKind.MemlockLimit, operation, node, Errno.ENOMEM, detail, hint);
    }

    /// <summary>
    /// EPERM from vfio_iommu_type1's attach (VFIO_SET_IOMMU) or iommufd's bind with no member to blame:
    /// the platform cannot isolate MSIs (no interrupt remapping) and allow_unsafe_interrupts is off
    /// (docs/kernel-facts.md, section 11).
    /// </summary>
    public static VfioException UnsafeInterrupts(string operation, string node, Errno errno, string module, SystemPaths paths)
    {
        string evidence = RemapsInterrupts(paths) switch
        {
            false => " (/proc/interrupts shows MSI and IO-APIC interrupts without the IR- prefix of remapped ones)",
            _ => "",
        };
        return new VfioException(VfioErrorKind.UnsafeInterrupts, operation, node, errno,
            $"the kernel refuses to give devices to userspace here because interrupt remapping is not active{evidence}: without it a device could raise interrupts it was not given ({module} logs \"{(module == "iommufd" ? "MSI interrupts are not secure" : "No interrupt remapping support")}\").",
            $"enable interrupt remapping (VT-d/AMD-Vi interrupt remapping in the firmware, no intremap=off on the kernel command line; a QEMU guest needs -device intel-iommu,intremap=on with kernel-irqchip=split), or accept the risk with {module}.allow_unsafe_interrupts=1; `vfioctl doctor` checks this.");
    }

    /// <summary>True when /proc/interrupts shows remapped chips (IR-...), false when it shows MSI or IO-APIC chips without, null when it cannot tell.</summary>
    private static bool? RemapsInterrupts(SystemPaths paths)
    {
        string text;
        try { text = File.ReadAllText(Path.Combine(paths.Root, "proc/interrupts")); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        if (text.Contains(" IR-", StringComparison.Ordinal)) return true;
        return text.Contains(" PCI-MSI", StringComparison.Ordinal) || text.Contains(" IO-APIC", StringComparison.Ordinal) ? false : null;
    }

    public static string FormatLimit(ulong bytes) =>
        bytes == ulong.MaxValue ? "unlimited" : bytes >= 1 << 20 && bytes % (1 << 20) == 0
            ? string.Create(Inv, $"{bytes >> 20} MiB")
            : string.Create(Inv, $"{bytes} bytes");

    private static string Describe(VfioGroupMember m) => $"{m.Name} ({m.Driver ?? "no driver"})";
}
