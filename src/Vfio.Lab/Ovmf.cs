namespace Vfio.Lab;

/// <summary>The guest's firmware: QEMU's default SeaBIOS, or OVMF (UEFI).</summary>
public enum LabFirmware
{
    /// <summary>SeaBIOS, QEMU's default: a legacy VGA text console, no firmware framebuffer.</summary>
    Bios,
    /// <summary>
    /// OVMF, Debian 12's <c>ovmf</c> package: the guest boots through UEFI (the kernel still comes
    /// through <c>-kernel</c>/<c>-initrd</c>, which OVMF loads from fw_cfg) and sees the firmware's
    /// framebuffer on the boot VGA, as a UEFI host does (kernel-facts section 10).
    /// </summary>
    Uefi,
}

/// <summary>
/// OVMF for UEFI guests: Debian 12's <c>ovmf</c> .deb downloaded into the lab cache with
/// <c>apt-get download</c> and unpacked there with <c>dpkg-deb -x</c>, never installed on the host.
/// </summary>
public static class Ovmf
{
    /// <summary>The package that ships OVMF's code and variable store.</summary>
    public const string Package = "ovmf";

    /// <summary>Where the unpacked firmware lives in the cache.</summary>
    public static string Directory(LabCache cache) => Path.Combine(cache.Root, "ovmf");

    /// <summary>The firmware code (read-only flash) and the variable store template (copied per run).</summary>
    public static (string Code, string Vars) Files(LabCache cache)
    {
        var share = Path.Combine(Directory(cache), "root", "usr", "share", "OVMF");
        return (Path.Combine(share, "OVMF_CODE_4M.fd"), Path.Combine(share, "OVMF_VARS_4M.fd"));
    }

    /// <summary>Downloads and unpacks OVMF into the cache when it is not there yet; returns its files.</summary>
    internal static (string Code, string Vars) Ensure(LabCache cache, Apt apt, TextWriter log, CancellationToken cancellationToken)
    {
        var files = Files(cache);
        if (File.Exists(files.Code) && File.Exists(files.Vars)) return files;
        using var _ = cache.Lock(log, cancellationToken);
        if (File.Exists(files.Code) && File.Exists(files.Vars)) return files;
        log.WriteLine($"lab: downloading {Package} (UEFI firmware for --firmware uefi) into {Directory(cache)}");
        var work = cache.NewTempDirectory("ovmf");
        try
        {
            var deb = apt.Download(Package, work);
            var root = Path.Combine(work, "root");
            var r = HostProcess.Run("dpkg-deb", ["-x", deb, root]);
            if (!r.Succeeded)
                throw new LabException(LabErrorKind.KernelDownload, $"dpkg-deb -x {Path.GetFileName(deb)} failed (exit {r.ExitCode}):\n{r.Tail()}");
            var target = Directory(cache);
            LabCache.TryDelete(target);
            System.IO.Directory.CreateDirectory(target);
            System.IO.Directory.Move(root, Path.Combine(target, "root"));
        }
        finally
        {
            LabCache.TryDelete(work);
        }
        if (!File.Exists(files.Code) || !File.Exists(files.Vars))
            throw new LabException(LabErrorKind.KernelDownload, $"the {Package} package has no {Path.GetFileName(files.Code)} or {Path.GetFileName(files.Vars)}");
        return files;
    }
}
