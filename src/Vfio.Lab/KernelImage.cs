namespace Vfio.Lab;

/// <summary>A kernel package extracted into the cache: what the lab boots.</summary>
/// <param name="Series">The series it belongs to.</param>
/// <param name="Package">The Debian package it came from.</param>
/// <param name="Release">The kernel release (<c>uname -r</c>), e.g. <c>6.12.117+deb12-amd64</c>.</param>
/// <param name="Directory">The extracted package's root (holds <c>boot/</c> and <c>lib/modules/</c>).</param>
public sealed record KernelImage(KernelSeries Series, string Package, string Release, string Directory)
{
    /// <summary>The bootable image, <c>boot/vmlinuz-RELEASE</c>.</summary>
    public string Vmlinuz => Path.Combine(Directory, "boot", $"vmlinuz-{Release}");

    /// <summary>The modules tree with modules.dep, <c>lib/modules/RELEASE</c>.</summary>
    public string ModulesDirectory => Path.Combine(Directory, "lib", "modules", Release);

    /// <summary>The uapi headers installed with the kernel (<c>usr/include</c>, from headers_install), when it has them: the lab's built kernels do.</summary>
    public string? HeadersDirectory => System.IO.Directory.Exists(Path.Combine(Directory, "usr", "include", "linux")) ? Path.Combine(Directory, "usr", "include") : null;

    internal const string MetadataFile = "lab-kernel.txt";

    internal void WriteMetadata() =>
        File.WriteAllText(Path.Combine(Directory, MetadataFile),
            $"series={Series.Name}\npackage={Package}\nrelease={Release}\n");

    /// <summary>Reads a cached kernel's metadata; null when absent or incomplete.</summary>
    internal static KernelImage? Read(string directory)
    {
        var path = Path.Combine(directory, MetadataFile);
        if (!File.Exists(path)) return null;
        var values = File.ReadAllLines(path)
            .Select(l => l.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1]);
        if (!values.TryGetValue("series", out var s) || KernelSeries.Find(s) is not { } series) return null;
        if (!values.TryGetValue("package", out var package) || !values.TryGetValue("release", out var release)) return null;
        var image = new KernelImage(series, package, release, directory);
        return File.Exists(image.Vmlinuz) && File.Exists(Path.Combine(image.ModulesDirectory, "modules.dep")) ? image : null;
    }
}
