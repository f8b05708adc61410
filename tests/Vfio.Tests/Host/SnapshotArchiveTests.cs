using System.Formats.Tar;
using System.IO.Compression;
using Vfio.Host.Snapshot;

namespace Vfio.Tests.Host;

/// <summary>An archive passed to --root cannot write or point outside its own temporary tree.</summary>
public class SnapshotArchiveTests
{
    [Fact]
    public void Entries_and_links_that_escape_the_tree_are_skipped()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vfioctl-evil-{Guid.NewGuid():n}.tar.gz");
        try
        {
            using (var f = File.Create(path))
            using (var gz = new GZipStream(f, CompressionLevel.Fastest))
            using (var tar = new TarWriter(gz, TarEntryFormat.Pax))
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "../../escaped") { DataStream = new MemoryStream([1]) });
                tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "sys/abs") { LinkName = "/etc/passwd" });
                tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "sys/up") { LinkName = "../../../../etc" });
                tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "sys/ok") { LinkName = "../proc" });
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "proc/cmdline") { DataStream = new MemoryStream("x\n"u8.ToArray()) });
            }
            using var archive = SnapshotArchive.Open(path);
            Assert.Equal(3, archive.Skipped);
            Assert.False(File.Exists(Path.Combine(archive.Directory, "sys/abs")));
            Assert.True(Directory.Exists(Path.Combine(archive.Directory, "sys/ok")));
            Assert.False(File.Exists(Path.GetFullPath(Path.Combine(archive.Directory, "../../escaped"))));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_file_that_is_not_an_archive_is_a_usage_error_for_root()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a tar");
            var r = Vfio.Tests.Support.CliRun.Run("--root", path, "list");
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("snapshot", r.Err);
        }
        finally { File.Delete(path); }
    }
}
