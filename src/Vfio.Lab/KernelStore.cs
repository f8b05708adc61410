namespace Vfio.Lab;

/// <summary>
/// Finds Debian kernel packages with apt, downloads them with <c>apt-get download</c>
/// and extracts them into the cache (<c>dpkg-deb -x</c>, then <c>depmod -b</c>
/// because the package's postinst, which would generate modules.dep, never runs).
/// Work happens in a temporary directory that is renamed into place when
/// complete, so an interrupted run leaves nothing half-done behind.
/// </summary>
internal sealed class KernelStore
{
    private readonly LabCache _cache;
    private readonly Apt _apt;
    private readonly TextWriter _log;

    public KernelStore(LabCache cache, Apt apt, TextWriter log)
    {
        _cache = cache;
        _apt = apt;
        _log = log;
    }

    /// <summary>The newest kernel of <paramref name="series"/> already in the cache, or null.</summary>
    public KernelImage? FindCached(KernelSeries series)
    {
        if (series.Recipe is not null) return new KernelBuilder(_cache, _apt, _log).FindCached(series);
        if (!Directory.Exists(_cache.KernelsDirectory)) return null;
        return Directory.GetDirectories(_cache.KernelsDirectory)
            .Select(KernelImage.Read)
            .OfType<KernelImage>()
            .Where(k => k.Series == series)
            .OrderByDescending(k => k.Package, NaturalOrder.Instance)
            .FirstOrDefault();
    }

    /// <summary>
    /// A kernel of <paramref name="series"/>: the cached one unless <paramref name="refresh"/>
    /// (then the newest apt knows, downloading it if it is not cached yet).
    /// </summary>
    public KernelImage Ensure(KernelSeries series, bool refresh, CancellationToken cancellationToken)
    {
        if (series.Recipe is not null) return new KernelBuilder(_cache, _apt, _log).Ensure(series, refresh, cancellationToken);
        if (!refresh && FindCached(series) is { } cached) return cached;

        using var _ = _cache.Lock(_log, cancellationToken);
        if (!refresh && FindCached(series) is { } cachedMeanwhile) return cachedMeanwhile;

        var candidates = Candidates(series);
        if (candidates.Count == 0 && Apt.IsRoot)
        {
            _apt.UpdateOnce();
            candidates = Candidates(series);
        }
        if (candidates.Count == 0)
        {
            if (FindCached(series) is { } fallback)
            {
                _log.WriteLine($"lab: apt knows no linux-image-{series.Name}.*-amd64-unsigned package; using the cached {fallback.Package}");
                return fallback;
            }
            throw new LabException(LabErrorKind.KernelDownload,
                $"apt knows no linux-image-{series.Name}.*-amd64-unsigned package",
                Apt.IsRoot ? "check /etc/apt/sources.list (Debian 12 main and bookworm-security) and run apt-get update"
                           : "as root, run: apt-get update");
        }

        LabException? lastError = null;
        foreach (var package in candidates.Take(3))
        {
            var dir = Path.Combine(_cache.KernelsDirectory, package);
            if (KernelImage.Read(dir) is { } present) return present;
            try
            {
                return DownloadAndExtract(series, package, cancellationToken);
            }
            catch (LabException e) when (e.Kind == LabErrorKind.KernelDownload)
            {
                _log.WriteLine($"lab: {e.Message.Split('\n')[0]}; trying an older package");
                lastError = e;
            }
        }
        throw lastError!;
    }

    private List<string> Candidates(KernelSeries series) =>
        _apt.SearchNames(series.AptSearch, series.PackagePattern)
            .Where(series.IsPackage)
            .OrderByDescending(p => p, NaturalOrder.Instance)
            .ToList();

    private KernelImage DownloadAndExtract(KernelSeries series, string package, CancellationToken cancellationToken)
    {
        var work = _cache.NewTempDirectory("kernel");
        try
        {
            var download = Path.Combine(work, "download");
            var root = Path.Combine(work, "root");
            Directory.CreateDirectory(download);
            Directory.CreateDirectory(root);

            _log.WriteLine($"lab: downloading {package}");
            var deb = _apt.Download(package, download);
            cancellationToken.ThrowIfCancellationRequested();

            _log.WriteLine($"lab: extracting {Path.GetFileName(deb)}");
            var x = HostProcess.Run(HostDependencies.PathOf("dpkg-deb"), ["-x", deb, root], cancellationToken: cancellationToken);
            if (!x.Succeeded)
            {
                throw new LabException(LabErrorKind.Build, $"dpkg-deb -x {deb} failed (exit {x.ExitCode}):\n{x.Tail()}");
            }
            File.Delete(deb);

            var vmlinuz = Directory.Exists(Path.Combine(root, "boot"))
                ? Directory.GetFiles(Path.Combine(root, "boot"), "vmlinuz-*").FirstOrDefault()
                : null;
            if (vmlinuz is null)
            {
                throw new LabException(LabErrorKind.Build, $"{package} holds no boot/vmlinuz-*: not a kernel image package?");
            }
            var release = Path.GetFileName(vmlinuz)["vmlinuz-".Length..];
            var image = new KernelImage(series, package, release, root);
            if (!Directory.Exists(image.ModulesDirectory))
            {
                throw new LabException(LabErrorKind.Build, $"{package} holds no lib/modules/{release}");
            }

            _log.WriteLine($"lab: indexing modules of {release} (depmod)");
            var d = HostProcess.Run(HostDependencies.PathOf("depmod"), ["-b", root, release], cancellationToken: cancellationToken);
            if (!d.Succeeded || !File.Exists(Path.Combine(image.ModulesDirectory, "modules.dep")))
            {
                throw new LabException(LabErrorKind.Build, $"depmod -b {root} {release} failed (exit {d.ExitCode}):\n{d.Tail()}");
            }
            image.WriteMetadata();

            Directory.CreateDirectory(_cache.KernelsDirectory);
            var final = Path.Combine(_cache.KernelsDirectory, package);
            LabCache.TryDelete(final); // an incomplete leftover (no metadata); complete ones were returned earlier
            Directory.Move(root, final);
            _log.WriteLine($"lab: cached {package} in {final}");
            return image with { Directory = final };
        }
        finally
        {
            LabCache.TryDelete(work);
        }
    }
}
