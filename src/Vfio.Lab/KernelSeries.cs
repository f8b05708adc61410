using System.Text.RegularExpressions;

namespace Vfio.Lab;

/// <summary>
/// A Debian kernel series the lab can boot: the newest
/// <c>linux-image-SERIES.*-amd64-unsigned</c> package apt knows (the plain
/// amd64 flavour; cloud and rt flavours are skipped).
/// </summary>
public sealed class KernelSeries
{
    private KernelSeries(string name, string description, KernelRecipe? recipe = null)
    {
        Name = name;
        Description = description;
        Recipe = recipe;
        PackagePattern = new Regex(
            $@"^linux-image-{Regex.Escape(name)}\.(?<rest>[0-9][0-9A-Za-z.+~-]*)-amd64-unsigned$",
            RegexOptions.CultureInvariant);
    }

    /// <summary>Debian 12's backported 6.12 kernel (the default).</summary>
    public static KernelSeries Linux612 { get; } = new("6.12", "Linux 6.12 as Debian 12 ships it (linux-image-6.12.*+deb12-amd64-unsigned)");

    /// <summary>Debian 12's own 6.1 kernel.</summary>
    public static KernelSeries Linux61 { get; } = new("6.1", "Linux 6.1, Debian 12's original kernel (linux-image-6.1.0-*-amd64-unsigned)");

    /// <summary>
    /// Linux 7.3, built by the lab from Debian's linux-source-7.3 (trixie-backports) with what
    /// Debian's kernels leave out: iommufd, the VFIO device cdev, no-IOMMU mode, virtio_vfio_pci.
    /// </summary>
    public static KernelSeries Linux73 { get; } = new("7.3",
        "Linux 7.3 built by the lab from Debian's linux-source-7.3 (trixie-backports): iommufd, the VFIO cdev, no-IOMMU mode, virtio_vfio_pci",
        new KernelRecipe("linux-source-7.3", "trixie-backports", "Vfio.Lab.Kernels.lab-7.3.config"));

    /// <summary>Every series, default first.</summary>
    public static IReadOnlyList<KernelSeries> All { get; } = [Linux612, Linux61, Linux73];

    /// <summary>How the lab builds this series from source; null for Debian's own kernel packages.</summary>
    public KernelRecipe? Recipe { get; }

    /// <summary>The default series.</summary>
    public static KernelSeries Default => Linux612;

    /// <summary>The series' name: <c>6.12</c> or <c>6.1</c>; also the value of VFIOCTL_LAB_KERNEL in the guest.</summary>
    public string Name { get; }

    public string Description { get; }

    /// <summary>Matches this series' package names.</summary>
    internal Regex PackagePattern { get; }

    /// <summary>The regex handed to <c>apt-cache search --names-only</c>.</summary>
    internal string AptSearch => $"^linux-image-{Regex.Escape(Name)}\\.";

    internal bool IsPackage(string package)
    {
        var m = PackagePattern.Match(package);
        if (!m.Success) return false;
        var rest = m.Groups["rest"].Value;
        return !rest.EndsWith("-cloud", StringComparison.Ordinal) && !rest.EndsWith("-rt", StringComparison.Ordinal);
    }

    /// <summary>The series named <paramref name="name"/>, or null.</summary>
    public static KernelSeries? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    public override string ToString() => Name;
}
