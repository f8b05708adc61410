namespace Vfio.Lab;

/// <summary>
/// Debian 12 packages a guest may install to try boot tooling the host does not need
/// (initramfs-tools, dracut): downloaded by <c>vfioctl lab prepare</c> into the lab cache's
/// <c>debs/</c>, never installed on the host. The guest sees the directory through the
/// host-root share and finds it in <c>VFIOCTL_LAB_DEBS</c>; a test installs what it needs
/// with <c>dpkg -i</c> (with <c>--state</c>, the installation persists).
/// </summary>
public static class GuestPackages
{
    /// <summary>
    /// initramfs-tools with what it depends on beyond a Debian 12 base system (udev is a lab host
    /// package), and dracut with its own (dracut conflicts with initramfs-tools: install one).
    /// </summary>
    public static IReadOnlyList<string> Packages { get; } =
    [
        "initramfs-tools", "initramfs-tools-core", "klibc-utils", "libklibc", "linux-base", "cpio", "logsave",
        "dracut", "dracut-core", "kpartx",
    ];

    /// <summary>The directory of the downloaded .deb files in the cache.</summary>
    public static string Directory(LabCache cache) => Path.Combine(cache.Root, "debs");

    /// <summary>Downloads each package not yet in the cache (one .deb per package, the candidate version).</summary>
    internal static void Ensure(LabCache cache, Apt apt, TextWriter log, CancellationToken cancellationToken)
    {
        var directory = Directory(cache);
        System.IO.Directory.CreateDirectory(directory);
        var missing = Packages.Where(p => System.IO.Directory.GetFiles(directory, p + "_*.deb").Length == 0).ToList();
        if (missing.Count == 0) return;
        using var _ = cache.Lock(log, cancellationToken);
        log.WriteLine($"lab: downloading guest packages into {directory}: {string.Join(' ', missing)}");
        foreach (var package in missing)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var work = cache.NewTempDirectory("deb");
            try
            {
                var deb = apt.Download(package, work);
                File.Move(deb, Path.Combine(directory, Path.GetFileName(deb)), overwrite: true);
            }
            finally
            {
                LabCache.TryDelete(work);
            }
        }
    }
}
