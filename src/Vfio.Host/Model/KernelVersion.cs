using System.Globalization;

namespace Vfio.Host.Model;

/// <summary>Major.minor of the running kernel, parsed from <c>osrelease</c> (<c>6.12.57+deb12-amd64</c>).</summary>
public readonly record struct KernelVersion(int Major, int Minor) : IComparable<KernelVersion>
{
    public static bool TryParse(string? release, out KernelVersion version)
    {
        version = default;
        if (string.IsNullOrWhiteSpace(release)) return false;
        var parts = release.Trim().Split('.', 3);
        if (parts.Length < 2) return false;
        var minorText = new string(parts[1].TakeWhile(char.IsAsciiDigit).ToArray());
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major) ||
            !int.TryParse(minorText, NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
            return false;
        version = new KernelVersion(major, minor);
        return true;
    }

    public int CompareTo(KernelVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor.CompareTo(other.Minor);

    public static bool operator >=(KernelVersion a, KernelVersion b) => a.CompareTo(b) >= 0;
    public static bool operator <=(KernelVersion a, KernelVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >(KernelVersion a, KernelVersion b) => a.CompareTo(b) > 0;
    public static bool operator <(KernelVersion a, KernelVersion b) => a.CompareTo(b) < 0;

    public override string ToString() => $"{Major}.{Minor}";
}
