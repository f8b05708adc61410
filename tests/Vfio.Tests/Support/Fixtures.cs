using Vfio.Host.Snapshot;

namespace Vfio.Tests.Support;

/// <summary>
/// Snapshots captured from real kernels (tests/fixtures/*.tar.gz, made with `vfioctl snapshot`),
/// unpacked into throw-away directories. Tests that need a damaged host copy a capture and break it.
/// </summary>
public static class Fixtures
{
    public static string Directory { get; } = FindFixtures();

    public static string Archive(string name) => Path.Combine(Directory, name + ".tar.gz");

    /// <summary>Unpacks a capture into a fresh directory the caller owns (deleted on dispose).</summary>
    public static SnapshotArchive Open(string name) => SnapshotArchive.Open(Archive(name));

    public static IEnumerable<string> All() =>
        System.IO.Directory.EnumerateFiles(Directory, "*.tar.gz").Select(f => Path.GetFileName(f)[..^".tar.gz".Length]).Order();

    private static string FindFixtures()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null)
        {
            var candidate = Path.Combine(dir, "tests", "fixtures");
            if (System.IO.Directory.Exists(candidate)) return candidate;
            dir = Path.GetDirectoryName(dir);
        }
        throw new DirectoryNotFoundException("tests/fixtures not found above " + AppContext.BaseDirectory);
    }
}
