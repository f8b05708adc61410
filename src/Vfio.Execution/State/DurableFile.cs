namespace Vfio.Execution.State;

/// <summary>
/// Whole-file writes that a crash or power loss cannot leave half done: the bytes go to a temporary
/// file beside the target (created with its final mode, so a secret is never briefly readable by
/// others), are flushed to disk, renamed over the target, and the directory is flushed. A reader
/// sees the old file or the new one, never a mix.
/// </summary>
public static class DurableFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> (a real path) with <paramref name="mode"/>, creating the directory.</summary>
    public static void Write(string path, ReadOnlySpan<byte> bytes, UnixFileMode mode)
    {
        var dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        File.Delete(tmp);
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, UnixCreateMode = mode };
        using (var f = new FileStream(tmp, create))
        {
            f.Write(bytes);
            f.Flush(flushToDisk: true);
        }
        // The umask may have taken bits away from the create mode: set it exactly.
        File.SetUnixFileMode(tmp, mode);
        File.Move(tmp, path, overwrite: true);
        FlushDirectory(dir);
    }

    /// <summary>Deletes <paramref name="path"/> durably; false when it was not there.</summary>
    public static bool Delete(string path)
    {
        if (!File.Exists(path)) return false;
        File.Delete(path);
        FlushDirectory(Path.GetDirectoryName(path)!);
        return true;
    }

    /// <summary>Flushes a directory's entries (best effort: some file systems refuse).</summary>
    public static void FlushDirectory(string dir)
    {
        try
        {
            using var h = File.OpenHandle(dir, FileMode.Open, FileAccess.Read);
            RandomAccess.FlushToDisk(h);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
