using Vfio.Host.Snapshot;

namespace Vfioctl;

/// <summary>
/// The directory <c>--root</c> names: the root itself, or a snapshot archive unpacked until disposed.
/// </summary>
internal sealed class HostTree : IDisposable
{
    private readonly SnapshotArchive? _archive;

    private HostTree(string directory, SnapshotArchive? archive)
    {
        Directory = directory;
        _archive = archive;
    }

    public string Directory { get; }

    /// <summary>Opens the root; throws <see cref="UsageException"/> when it is neither a directory nor an archive.</summary>
    public static HostTree Open(string root)
    {
        if (File.Exists(root))
        {
            try
            {
                var archive = SnapshotArchive.Open(root);
                return new HostTree(archive.Directory, archive);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or FormatException)
            {
                throw new UsageException($"--root {root}: not a directory and not a readable vfioctl snapshot ({e.Message}).");
            }
        }
        if (!System.IO.Directory.Exists(root))
            throw new UsageException($"--root {root}: no such directory or snapshot file.");
        return new HostTree(root, null);
    }

    public void Dispose() => _archive?.Dispose();
}
