using System.Formats.Tar;
using System.IO.Compression;

namespace Vfio.Host.Snapshot;

/// <summary>
/// A snapshot archive unpacked into a private temporary directory that can serve as a root.
/// Deleted on dispose. Entries that would land outside the directory, absolute links and
/// links that climb out of it are skipped, so an archive from elsewhere cannot write or
/// point anywhere else.
/// </summary>
public sealed class SnapshotArchive : IDisposable
{
    private SnapshotArchive(string directory, int skipped)
    {
        Directory = directory;
        Skipped = skipped;
    }

    /// <summary>The unpacked tree: pass it as the root of a <see cref="Sysfs.HostFiles"/>.</summary>
    public string Directory { get; }

    /// <summary>Entries refused because they pointed outside the tree.</summary>
    public int Skipped { get; }

    /// <summary>True when the file starts like a gzip or tar archive rather than being a directory.</summary>
    public static bool LooksLikeArchive(string path) => File.Exists(path);

    public static SnapshotArchive Open(string archivePath)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("vfioctl-root-").FullName;
        int skipped = 0;
        try
        {
            using var file = File.OpenRead(archivePath);
            Stream stream = file;
            var magic = new byte[2];
            int n = file.Read(magic, 0, 2);
            file.Position = 0;
            if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) stream = new GZipStream(file, CompressionMode.Decompress);
            using var reader = new TarReader(stream);
            while (reader.GetNextEntry() is { } entry)
            {
                var rel = entry.Name.TrimStart('/');
                var dest = Path.GetFullPath(Path.Combine(dir, rel));
                if (!IsInside(dir, dest)) { skipped++; continue; }
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        System.IO.Directory.CreateDirectory(dest);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                        entry.ExtractToFile(dest, overwrite: true);
                        break;
                    case TarEntryType.SymbolicLink:
                        var target = entry.LinkName;
                        var resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(dest)!, target));
                        if (Path.IsPathRooted(target) || !IsInside(dir, resolved)) { skipped++; break; }
                        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                        if (!File.Exists(dest) && !System.IO.Directory.Exists(dest)) File.CreateSymbolicLink(dest, target);
                        break;
                    default:
                        skipped++;
                        break;
                }
            }
        }
        catch
        {
            TryDelete(dir);
            throw;
        }
        return new SnapshotArchive(dir, skipped);
    }

    private static bool IsInside(string root, string path) =>
        path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    public void Dispose() => TryDelete(Directory);

    private static void TryDelete(string dir)
    {
        try { System.IO.Directory.Delete(dir, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
