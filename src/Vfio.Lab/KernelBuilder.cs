using System.Security.Cryptography;
using System.Text;

namespace Vfio.Lab;

/// <summary>
/// How the lab builds a series Debian does not ship with what the lab needs: Debian's
/// <c>linux-source-X.Y</c> package from <paramref name="Suite"/> (downloaded with an apt source list
/// of the lab's own, never installed), configured as Linux's x86_64_defconfig plus the fragment
/// kept in this assembly (<c>Kernels/lab-X.Y.config</c>).
/// </summary>
/// <param name="SourcePackage">The Debian source-tarball package, e.g. <c>linux-source-7.3</c>.</param>
/// <param name="Suite">The Debian suite that carries it, e.g. <c>trixie-backports</c>.</param>
/// <param name="ConfigResource">The embedded config fragment's logical name.</param>
public sealed record KernelRecipe(string SourcePackage, string Suite, string ConfigResource)
{
    /// <summary>The config fragment's text.</summary>
    public string Config
    {
        get
        {
            using var stream = typeof(KernelRecipe).Assembly.GetManifestResourceStream(ConfigResource)
                ?? throw new InvalidOperationException($"the embedded kernel config {ConfigResource} is missing");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd().ReplaceLineEndings("\n");
        }
    }

    /// <summary>12 hex digits of the fragment's SHA-256: a cached build is reused only while the fragment is the same.</summary>
    public string ConfigHash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Config)))[..12];

    /// <summary>The settings the fragment asks for: "CONFIG_X=v" lines and "# CONFIG_X is not set" as "CONFIG_X=n".</summary>
    public IReadOnlyList<(string Name, string Value)> Settings() => ParseConfig(Config);

    /// <summary>The settings of a kernel .config or fragment, in order; "is not set" reads as "n".</summary>
    internal static List<(string Name, string Value)> ParseConfig(string text)
    {
        var result = new List<(string, string)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("# CONFIG_", StringComparison.Ordinal) && line.EndsWith(" is not set", StringComparison.Ordinal))
                result.Add((line[2..^" is not set".Length], "n"));
            else if (line.StartsWith("CONFIG_", StringComparison.Ordinal) && line.IndexOf('=') is > 0 and var eq)
                result.Add((line[..eq], line[(eq + 1)..]));
        }
        return result;
    }
}

/// <summary>
/// Builds and caches a <see cref="KernelRecipe"/> kernel (docs/lab.md, "The 7.3 kernel"): the
/// source package is downloaded, unpacked, configured and built with <c>make -jN bzImage
/// modules</c>; the image, its config and the installed modules land in the cache laid out as an
/// extracted Debian kernel package (<c>boot/vmlinuz-RELEASE</c>, <c>lib/modules/RELEASE</c>), named
/// after the source version and the config's hash. The build happens in a temporary directory
/// renamed into place when complete.
/// </summary>
internal sealed class KernelBuilder
{
    /// <summary>What building a kernel takes besides what the lab already has: tool or header, and its package.</summary>
    private static readonly (string Path, string Package)[] BuildTools =
    [
        ("make", "make"), ("gcc", "gcc"), ("flex", "flex"), ("bison", "bison"), ("bc", "bc"), ("perl", "perl"),
        ("/usr/include/libelf.h", "libelf-dev"), ("/usr/include/openssl/ssl.h", "libssl-dev"), ("tar", "tar"), ("xz", "xz-utils"),
        ("rsync", "rsync"), // headers_install
    ];

    private readonly LabCache _cache;
    private readonly Apt _apt;
    private readonly TextWriter _log;

    public KernelBuilder(LabCache cache, Apt apt, TextWriter log)
    {
        _cache = cache;
        _apt = apt;
        _log = log;
    }

    /// <summary>Marks a cached build's package name with the config it was built from.</summary>
    private static string ConfigSuffix(KernelRecipe recipe) => "-cfg" + recipe.ConfigHash;

    /// <summary>The newest cached build of <paramref name="series"/> from the current config fragment, or null.</summary>
    public KernelImage? FindCached(KernelSeries series)
    {
        var recipe = series.Recipe!;
        if (!Directory.Exists(_cache.KernelsDirectory)) return null;
        return Directory.GetDirectories(_cache.KernelsDirectory)
            .Select(KernelImage.Read)
            .OfType<KernelImage>()
            .Where(k => k.Series == series && k.Package.EndsWith(ConfigSuffix(recipe), StringComparison.Ordinal))
            .OrderByDescending(k => k.Package, NaturalOrder.Instance)
            .FirstOrDefault();
    }

    /// <summary>
    /// The cached build (unless <paramref name="refresh"/>: then the newest source version apt
    /// offers, built when not cached yet).
    /// </summary>
    public KernelImage Ensure(KernelSeries series, bool refresh, CancellationToken cancellationToken)
    {
        var recipe = series.Recipe ?? throw new ArgumentException($"{series.Name} is not built from source", nameof(series));
        if (!refresh && FindCached(series) is { } cached) return cached;
        using var _ = _cache.Lock(_log, cancellationToken);
        if (!refresh && FindCached(series) is { } meanwhile) return meanwhile;

        var apt = new SuiteApt(_cache, recipe.Suite, _log);
        apt.Update(recipe.SourcePackage, cancellationToken);
        var version = apt.Candidate(recipe.SourcePackage, cancellationToken);
        var package = $"linux-{series.Name}-{version.Replace(':', '_')}{ConfigSuffix(recipe)}";
        var final = Path.Combine(_cache.KernelsDirectory, package);
        if (KernelImage.Read(final) is { } present) return present;

        var work = _cache.NewTempDirectory("build");
        try
        {
            var deb = apt.Download(recipe.SourcePackage, Path.Combine(work, "download"), cancellationToken);
            return Build(series, recipe, deb, package, final, work, cancellationToken);
        }
        finally
        {
            LabCache.TryDelete(work);
        }
    }

    private KernelImage Build(KernelSeries series, KernelRecipe recipe, string deb, string package, string final, string work, CancellationToken cancellationToken)
    {
        EnsureBuildTools();
        var started = DateTime.UtcNow;
        var src = Path.Combine(work, "src");
        var root = Path.Combine(work, "root");
        Directory.CreateDirectory(src);
        Directory.CreateDirectory(root);

        _log.WriteLine($"lab: unpacking {Path.GetFileName(deb)}");
        var pkg = Path.Combine(work, "pkg");
        Run("dpkg-deb", ["-x", deb, pkg], null, cancellationToken);
        var tarball = Directory.GetFiles(Path.Combine(pkg, "usr", "src"), "linux-source-*.tar.*").FirstOrDefault()
            ?? throw new LabException(LabErrorKind.Build, $"{Path.GetFileName(deb)} holds no usr/src/linux-source-*.tar.*");
        Run("tar", ["-xf", tarball, "-C", src, "--strip-components=1"], null, cancellationToken);
        LabCache.TryDelete(pkg);

        var fragment = Path.Combine(work, "lab.config");
        File.WriteAllText(fragment, recipe.Config);
        Run("make", ["-s", "x86_64_defconfig"], src, cancellationToken);
        Run(Path.Combine(src, "scripts", "kconfig", "merge_config.sh"), ["-m", ".config", fragment], src, cancellationToken);
        Run("make", ["-s", "olddefconfig"], src, cancellationToken);
        CheckConfig(recipe, File.ReadAllText(Path.Combine(src, ".config")));

        int jobs = Math.Max(1, Environment.ProcessorCount);
        _log.WriteLine($"lab: building {recipe.SourcePackage} (make -j{jobs} bzImage modules; about 15 minutes on 2 cores)");
        Run("make", ["-s", $"-j{jobs}", "bzImage", "modules"], src, cancellationToken);
        var release = Run("make", ["-s", "kernelrelease"], src, cancellationToken).StandardOutput.Trim();
        Run("make", ["-s", "modules_install", $"INSTALL_MOD_PATH={root}", "INSTALL_MOD_STRIP=1", $"DEPMOD={HostDependencies.PathOf("depmod")}"], src, cancellationToken);

        var boot = Path.Combine(root, "boot");
        Directory.CreateDirectory(boot);
        File.Copy(Path.Combine(src, "arch", "x86", "boot", "bzImage"), Path.Combine(boot, $"vmlinuz-{release}"));
        File.Copy(Path.Combine(src, ".config"), Path.Combine(boot, $"config-{release}"));
        File.Copy(Path.Combine(src, "System.map"), Path.Combine(boot, $"System.map-{release}"));
        // The uapi headers the library's struct layouts are checked against (docs/library.md).
        Run("make", ["-s", "headers_install", $"INSTALL_HDR_PATH={Path.Combine(root, "usr")}"], src, cancellationToken);

        var image = new KernelImage(series, package, release, root);
        if (!File.Exists(Path.Combine(image.ModulesDirectory, "modules.dep")))
            throw new LabException(LabErrorKind.Build, $"make modules_install left no lib/modules/{release}/modules.dep");
        image.WriteMetadata();
        Directory.CreateDirectory(_cache.KernelsDirectory);
        LabCache.TryDelete(final);
        Directory.Move(root, final);
        _log.WriteLine($"lab: built {release} in {(DateTime.UtcNow - started).TotalMinutes:0.0} min; cached as {final}");
        return image with { Directory = final };
    }

    /// <summary>Every setting of the fragment must have survived olddefconfig (a dependency it lacks drops it silently).</summary>
    internal static void CheckConfig(KernelRecipe recipe, string config)
    {
        var actual = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in KernelRecipe.ParseConfig(config)) actual[name] = value;
        var lost = recipe.Settings()
            .Where(s => (actual.TryGetValue(s.Name, out var v) ? v : "n") != s.Value)
            .Select(s => $"{s.Name}={s.Value} (got {(actual.TryGetValue(s.Name, out var v) ? v : "not set")})")
            .ToList();
        if (lost.Count > 0)
            throw new LabException(LabErrorKind.Build, $"the kernel config lost settings of {recipe.ConfigResource}: {string.Join(", ", lost)}",
                "a setting whose dependencies are off is dropped by olddefconfig: add the dependency to the fragment");
    }

    private void EnsureBuildTools()
    {
        var missing = BuildTools.Where(t => t.Path.StartsWith('/') ? !File.Exists(t.Path) : HostProcess.Find(t.Path) is null)
            .Select(t => t.Package).Distinct().ToList();
        if (missing.Count == 0) return;
        if (!Apt.IsRoot)
            throw new LabException(LabErrorKind.MissingDependency, $"building the lab kernel needs {string.Join(' ', missing)}",
                $"as root, run: apt-get install --no-install-recommends {string.Join(' ', missing)}");
        _log.WriteLine($"lab: installing what a kernel build needs: {string.Join(' ', missing)}");
        _apt.Install(missing);
    }

    private static ProcessResult Run(string tool, IReadOnlyList<string> args, string? directory, CancellationToken cancellationToken)
    {
        var path = tool.StartsWith('/') ? tool : HostDependencies.PathOf(tool);
        var r = HostProcess.Run(path, args, workingDirectory: directory, cancellationToken: cancellationToken);
        if (!r.Succeeded)
            throw new LabException(LabErrorKind.Build, $"{Path.GetFileName(tool)} {string.Join(' ', args)} failed (exit {r.ExitCode}):\n{r.Tail()}");
        return r;
    }
}

/// <summary>
/// apt over one Debian suite with the lab's own source list and lists (under the cache's
/// <c>apt-SUITE/</c>), used only to look up and download a package: the machine's sources,
/// lists and packages are not touched.
/// </summary>
internal sealed class SuiteApt
{
    private readonly string _suite;
    private readonly string _directory;
    private readonly string[] _options;
    private readonly TextWriter _log;

    public SuiteApt(LabCache cache, string suite, TextWriter log)
    {
        _suite = suite;
        _log = log;
        _directory = Path.Combine(cache.Root, "apt-" + suite);
        var lists = Path.Combine(_directory, "lists");
        var archives = Path.Combine(_directory, "cache");
        Directory.CreateDirectory(Path.Combine(lists, "partial"));
        Directory.CreateDirectory(Path.Combine(archives, "archives", "partial"));
        var sources = Path.Combine(_directory, "sources.list");
        File.WriteAllText(sources, $"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian {suite} main\n");
        _options =
        [
            "-o", $"Dir::Etc::sourcelist={sources}", "-o", "Dir::Etc::sourceparts=-",
            "-o", $"Dir::State::Lists={lists}", "-o", $"Dir::Cache={archives}", "-o", "APT::Get::List-Cleanup=0",
            "-o", "APT::Sandbox::User=root",
        ];
    }

    public void Update(string forPackage, CancellationToken cancellationToken)
    {
        _log.WriteLine($"lab: apt-get update for {_suite} (the lab's own list, to find {forPackage})");
        var r = HostProcess.Run(HostDependencies.PathOf("apt-get"), [.. _options, "update", "-q"], cancellationToken: cancellationToken);
        if (!r.Succeeded)
            throw new LabException(LabErrorKind.KernelDownload, $"apt-get update for {_suite} failed (exit {r.ExitCode}):\n{r.Tail()}",
                "check network access to deb.debian.org and retry");
    }

    /// <summary>The version apt would download ("Candidate:" of apt-cache policy).</summary>
    public string Candidate(string package, CancellationToken cancellationToken)
    {
        var r = HostProcess.Run(HostDependencies.PathOf("apt-cache"), [.. _options, "policy", package], cancellationToken: cancellationToken);
        var candidate = r.StandardOutput.Split('\n').Select(l => l.Trim())
            .FirstOrDefault(l => l.StartsWith("Candidate:", StringComparison.Ordinal))?["Candidate:".Length..].Trim();
        if (!r.Succeeded || candidate is null or "" or "(none)")
            throw new LabException(LabErrorKind.KernelDownload, $"{_suite} offers no {package}",
                $"check that {_suite} still carries {package} (apt-cache policy with the lab's list in {_directory})");
        return candidate;
    }

    /// <summary>Downloads <paramref name="package"/>'s candidate into <paramref name="directory"/> and returns the .deb.</summary>
    public string Download(string package, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        _log.WriteLine($"lab: downloading {package} from {_suite}");
        var r = HostProcess.Run(HostDependencies.PathOf("apt-get"), [.. _options, "download", "-q", package],
            workingDirectory: directory, cancellationToken: cancellationToken);
        var deb = Directory.GetFiles(directory, "*.deb").FirstOrDefault();
        if (!r.Succeeded || deb is null)
            throw new LabException(LabErrorKind.KernelDownload, $"apt-get download {package} ({_suite}) failed (exit {r.ExitCode}):\n{r.Tail()}",
                "check network access to deb.debian.org and retry");
        return deb;
    }
}
