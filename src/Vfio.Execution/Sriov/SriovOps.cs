using System.Globalization;
using Vfio.Execution.Kernel;
using Vfio.Host.Sysfs;

namespace Vfio.Execution.Sriov;

/// <summary>
/// The PF's SR-IOV files, read and written one verified step at a time (kernel-facts section 4,
/// drivers/pci/iov.c). A write to <c>sriov_numvfs</c> is bounded by the SR-IOV timeout: removing a
/// VF a process holds open waits in vfio's unregister until it is closed, and while it waits the
/// PF's <c>sriov_numvfs</c> (and on 6.1 its <c>uevent</c>) cannot be read either, so after a
/// timeout nothing about that PF is read again.
/// </summary>
internal sealed class SriovOps(IKernel kernel, TimeSpan writeTimeout, TimeSpan sriovTimeout, Action<string> log)
{
    private HostFiles Files => kernel.Files;

    public static string Dir(PciAddress pf) => $"/sys/bus/pci/devices/{pf}";

    public int? NumVfs(PciAddress pf) =>
        int.TryParse(Files.ReadAttribute($"{Dir(pf)}/sriov_numvfs"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    public bool? Autoprobe(PciAddress pf) => Files.ReadAttribute($"{Dir(pf)}/sriov_drivers_autoprobe") switch
    {
        "1" => true,
        "0" => false,
        _ => null,
    };

    public string? Driver(PciAddress device) => Files.ReadLinkName($"{Dir(device)}/driver");

    /// <summary>The VFs that exist now, in <c>virtfnN</c> order (links only: no device lock needed).</summary>
    public List<PciAddress> Vfs(PciAddress pf)
    {
        var vfs = new List<(int Index, PciAddress Address)>();
        foreach (var entry in Files.List(Dir(pf)))
        {
            if (!entry.StartsWith("virtfn", StringComparison.Ordinal) || !int.TryParse(entry.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var i)) continue;
            if (PciAddress.TryParse(Files.ReadLinkName($"{Dir(pf)}/{entry}"), out var vf)) vfs.Add((i, vf));
        }
        return [.. vfs.OrderBy(v => v.Index).Select(v => v.Address)];
    }

    /// <summary>Each VF with its driver and group, read from links only.</summary>
    public List<VfOutcome> VfOutcomes(PciAddress pf) =>
        [.. Vfs(pf).Select(vf => new VfOutcome(vf, Driver(vf),
            int.TryParse(Files.ReadLinkName($"{Dir(vf)}/iommu_group"), NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : null))];

    /// <summary>Writes <c>sriov_numvfs</c> and checks the count the kernel reports afterwards.</summary>
    public void SetNumVfs(PciAddress pf, int count)
    {
        var driver = Driver(pf);
        try
        {
            kernel.Write($"{Dir(pf)}/sriov_numvfs", count.ToString(CultureInfo.InvariantCulture), sriovTimeout);
        }
        catch (KernelException e)
        {
            throw new KernelException(e.Operation, e.Error, HintFor(pf, driver, count, e.Error));
        }
        var now = NumVfs(pf);
        log($"{pf}: sriov_numvfs = {count}");
        if (now != count)
            throw new KernelException($"setting {pf}'s VFs to {count}", Errno.EIO,
                $"The kernel accepted the write but reports {now?.ToString(CultureInfo.InvariantCulture) ?? "an unreadable count"}: the PF's driver ({driver ?? "none"}) made fewer VFs than asked ('dmesg | tail' says why).");
    }

    public void SetAutoprobe(PciAddress pf, bool on)
    {
        kernel.Write($"{Dir(pf)}/sriov_drivers_autoprobe", on ? "1" : "0", writeTimeout);
        log($"{pf}: sriov_drivers_autoprobe = {(on ? 1 : 0)}");
    }

    /// <summary>The errno's meaning for <c>sriov_numvfs</c> (drivers/pci/iov.c sriov_numvfs_store and the PF drivers' sriov_configure).</summary>
    private static string HintFor(PciAddress pf, string? driver, int count, Errno errno) => errno switch
    {
        Errno.ETIMEDOUT => count == 0
            ? $"The kernel is still removing {pf}'s VFs: a process holds one of them open, and the removal finishes once it closes it (find it with 'vfioctl sriov list'). vfioctl stops here and reads nothing more of {pf}: its sriov_numvfs cannot be read until then either."
            : $"The kernel has not finished creating {pf}'s VFs; vfioctl stops here. Check 'dmesg | tail' and 'vfioctl sriov list' once it returns.",
        Errno.ENOENT => driver is null
            ? $"{pf} has no driver: the kernel changes VFs only through the PF's driver (\"no driver bound to device; cannot configure SR-IOV\")"
            : $"{pf}'s driver {driver} does not configure SR-IOV through sysfs (no sriov_configure" + (driver == "vfio-pci" ? ", or vfio-pci's enable_sriov parameter is off" : "") + ")",
        Errno.ERANGE => $"{pf} supports fewer VFs than {count} (sriov_totalvfs)",
        Errno.EBUSY => $"{pf} already has VFs and the kernel does not change a non-zero count to another: remove them first ('vfioctl sriov disable {pf}')",
        Errno.EINVAL => $"the kernel did not take '{count}' as a VF count",
        _ => $"{pf}'s driver {driver ?? "(none)"} refused; 'dmesg | tail' says why",
    };
}
