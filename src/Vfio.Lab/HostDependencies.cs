namespace Vfio.Lab;

/// <summary>The host programs the lab needs, found on the host or installed from Debian.</summary>
public static class HostDependencies
{
    /// <summary>Every host tool the lab uses, with its Debian package.</summary>
    public static IReadOnlyList<HostTool> Tools { get; } =
    [
        new("qemu-system-x86_64", "qemu-system-x86", "boots the guest"),
        new("/bin/busybox", "busybox-static", "the initramfs's only program", MustBeStatic: true),
        new("depmod", "kmod", "indexes the extracted kernel's modules"),
        new("modprobe", "kmod", "loads drivers inside the guest"),
        new("xz", "xz-utils", "decompresses .ko.xz modules for the initramfs"),
        new("mkfs.ext4", "e2fsprogs", "formats the in-use topology's disk"),
        new("ip", "iproute2", "configures the in-use topology's network interface in the guest"),
        new("lspci", "pciutils", "lets guest commands list PCI devices"),
        new("/lib/systemd/systemd-udevd", "udev", "coldplugs the guest with Debian's udev (lab run --udev)"),
        new("udevadm", "udev", "triggers and settles the guest's udev events (lab run --udev)"),
        new("setpriv", "util-linux", "ties QEMU's life to vfioctl's (--pdeathsig)"),
        new("dpkg-deb", "dpkg", "extracts the kernel package"),
        new("apt-get", "apt", "downloads the kernel package"),
    ];

    /// <summary>Tools that are missing (or, for busybox, not static).</summary>
    public static IReadOnlyList<HostTool> FindMissing() =>
        Tools.Where(t => !IsPresent(t)).ToList();

    private static bool IsPresent(HostTool tool)
    {
        var path = HostProcess.Find(tool.Command);
        if (path is null) return false;
        return !tool.MustBeStatic || ElfFile.IsStatic64(path);
    }

    /// <summary>Path of a tool, which must be present (call <see cref="Ensure"/> first).</summary>
    public static string PathOf(string command) =>
        HostProcess.Find(command) ?? throw new LabException(LabErrorKind.MissingDependency,
            $"{command} not found", $"run 'vfioctl lab prepare' as root to install the lab's dependencies");

    /// <summary>
    /// Installs missing packages with apt-get when running as root; otherwise fails
    /// with the command to run.
    /// </summary>
    internal static void Ensure(Apt apt, TextWriter log)
    {
        var missing = FindMissing();
        if (missing.Count == 0) return;
        var packages = missing.Select(t => t.Package).Distinct().ToList();
        var what = string.Join(", ", missing.Select(t => $"{Path.GetFileName(t.Command)} ({t.Package}: {t.Purpose})"));
        if (packages.Contains("apt") || packages.Contains("dpkg"))
        {
            throw new LabException(LabErrorKind.MissingDependency,
                $"missing {what}: the lab needs a Debian (or Debian-based) host",
                "run the lab on Debian 12 or later");
        }
        var command = $"apt-get update && apt-get install --no-install-recommends {string.Join(' ', packages)}";
        if (!Apt.IsRoot)
        {
            throw new LabException(LabErrorKind.MissingDependency,
                $"missing {what}",
                $"as root, run: {command}");
        }
        log.WriteLine($"lab: installing missing packages: {string.Join(' ', packages)}");
        apt.Install(packages);
        var still = FindMissing();
        if (still.Count > 0)
        {
            throw new LabException(LabErrorKind.MissingDependency,
                $"still missing after apt-get install: {string.Join(", ", still.Select(t => t.Command))}",
                $"run: {command}");
        }
    }
}
