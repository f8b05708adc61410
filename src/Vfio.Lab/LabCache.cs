namespace Vfio.Lab;

/// <summary>
/// Where the lab keeps its downloads and builds: <c>$VFIOCTL_LAB_CACHE</c>, else
/// <c>$XDG_CACHE_HOME/vfioctl/lab</c>, else <c>~/.cache/vfioctl/lab</c>.
/// Layout: <c>kernels/PACKAGE/</c> (extracted kernel packages), <c>initramfs/KVER-HASH.cpio</c>,
/// <c>tmp/</c> (work in progress; renamed into place when complete), <c>lock</c>.
/// </summary>
public sealed class LabCache
{
    public LabCache(string root) => Root = Path.GetFullPath(root);

    /// <summary>The cache's root directory.</summary>
    public string Root { get; }

    public string KernelsDirectory => Path.Combine(Root, "kernels");
    public string InitramfsDirectory => Path.Combine(Root, "initramfs");
    public string TempDirectory => Path.Combine(Root, "tmp");

    /// <summary>The cache chosen by the environment.</summary>
    public static LabCache FromEnvironment()
    {
        var explicitDir = Environment.GetEnvironmentVariable("VFIOCTL_LAB_CACHE");
        if (!string.IsNullOrEmpty(explicitDir)) return new LabCache(explicitDir);
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)) return new LabCache(Path.Combine(xdg, "vfioctl", "lab"));
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home)) home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        return new LabCache(Path.Combine(home, ".cache", "vfioctl", "lab"));
    }

    /// <summary>A fresh directory under <see cref="TempDirectory"/> for work that is renamed into place when complete.</summary>
    internal string NewTempDirectory(string prefix)
    {
        Directory.CreateDirectory(TempDirectory);
        var dir = Path.Combine(TempDirectory, $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// Takes the cache's lock (flock on <c>lock</c>) so two processes do not
    /// download or build the same thing at once. Waits while another holds it.
    /// Also removes leftovers of interrupted work in <see cref="TempDirectory"/>.
    /// </summary>
    internal IDisposable Lock(TextWriter log, CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(Root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LabException(LabErrorKind.Build, $"cannot use the lab cache {Root}: {e.Message}",
                "set VFIOCTL_LAB_CACHE (or XDG_CACHE_HOME) to a writable directory", inner: e);
        }
        var path = Path.Combine(Root, "lock");
        bool told = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                // Whatever is left in tmp/ belongs to a run that was interrupted: nobody else holds the lock.
                if (Directory.Exists(TempDirectory))
                {
                    foreach (var d in Directory.GetDirectories(TempDirectory)) TryDelete(d);
                }
                return stream;
            }
            catch (IOException)
            {
                if (!told)
                {
                    log.WriteLine($"lab: waiting for another vfioctl lab using {Root}");
                    told = true;
                }
                Thread.Sleep(500);
            }
        }
    }

    internal static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
