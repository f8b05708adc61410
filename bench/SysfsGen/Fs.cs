using System.Runtime.InteropServices;
using System.Text;

namespace SysfsGen;

/// <summary>Creates files, directories and relative symlinks under one root, counting them.
/// Paths are relative to the root; links are given the target's root-relative path and are
/// written relative to the link's directory, as sysfs does. Uses open/write/close directly:
/// a quarter of a million files is mostly system-call cost, and FileStream adds four more per file.</summary>
internal sealed partial class Fs(string root)
{
    public const UnixFileMode RO = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    public const UnixFileMode RW = RO | UnixFileMode.UserWrite;
    public const UnixFileMode WO = UnixFileMode.UserWrite;
    public const UnixFileMode Priv = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                         UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const int O_WRONLY = 0x1, O_CREAT = 0x40, O_EXCL = 0x80, O_CLOEXEC = 0x80000;
    private const int EEXIST = 17, ENOENT = 2;

    private int _files, _links, _dirs;
    public string Root { get; } = root;
    public int Files => _files;
    public int Links => _links;
    public int Dirs => _dirs;

    public string Abs(string rel) => rel.Length == 0 ? Root : $"{Root}/{rel}";

    /// <summary>mkdir -p.</summary>
    public void Dir(string rel) => MkdirP(Abs(rel));

    private void MkdirP(string abs)
    {
        if (Mkdir(abs, (uint)DirMode) == 0)
        {
            Interlocked.Increment(ref _dirs);
            return;
        }
        int err = Marshal.GetLastPInvokeError();
        if (err == EEXIST) return;
        if (err == ENOENT)
        {
            MkdirP(Path.GetDirectoryName(abs)!);
            if (Mkdir(abs, (uint)DirMode) == 0)
            {
                Interlocked.Increment(ref _dirs);
                return;
            }
            err = Marshal.GetLastPInvokeError();
            if (err == EEXIST) return;
        }
        throw Fail("mkdir", abs, err);
    }

    public void Text(string rel, string content, UnixFileMode mode = RO)
    {
        int n = Encoding.UTF8.GetByteCount(content);
        Span<byte> buf = n <= 4096 ? stackalloc byte[n] : new byte[n];
        Encoding.UTF8.GetBytes(content, buf);
        Bytes(rel, buf, mode);
    }

    public unsafe void Bytes(string rel, ReadOnlySpan<byte> data, UnixFileMode mode = RO)
    {
        string path = Abs(rel);
        int fd = Open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (uint)mode);
        if (fd < 0) throw Fail("open", path, Marshal.GetLastPInvokeError());
        try
        {
            fixed (byte* p = data)
            {
                nint off = 0;
                while (off < data.Length)
                {
                    nint w = Write(fd, p + off, (nuint)(data.Length - off));
                    if (w < 0) throw Fail("write", path, Marshal.GetLastPInvokeError());
                    off += w;
                }
            }
        }
        finally
        {
            _ = Close(fd);
        }
        Interlocked.Increment(ref _files);
    }

    /// <summary>A file whose size is what stat shows for a sysfs binary attribute (BARs, ROMs);
    /// sparse, so it costs no disk space. Reading it gives zeros, not device memory.</summary>
    public void Sparse(string rel, long size, UnixFileMode mode = Priv)
    {
        string path = Abs(rel);
        int fd = Open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (uint)mode);
        if (fd < 0) throw Fail("open", path, Marshal.GetLastPInvokeError());
        try
        {
            if (Ftruncate(fd, size) != 0) throw Fail("ftruncate", path, Marshal.GetLastPInvokeError());
        }
        finally
        {
            _ = Close(fd);
        }
        Interlocked.Increment(ref _files);
    }

    public void Link(string rel, string targetRel)
    {
        string linkAbs = Abs(rel);
        string target = KernfsRelative(Path.GetDirectoryName(rel)!, targetRel);
        if (Symlink(target, linkAbs) != 0) throw Fail("symlink", linkAbs, Marshal.GetLastPInvokeError());
        Interlocked.Increment(ref _links);
    }

    /// <summary>
    /// The relative path kernfs_get_target_path writes: climb from the link's directory to the
    /// deepest directory that also contains the target's parent, then descend by name. For a
    /// link to an ancestor this gives ../../../0000:07:00.0 rather than the shorter ../.., as
    /// real sysfs does (e.g. /sys/class/nvme/nvme0/device).
    /// </summary>
    public static string KernfsRelative(string linkDir, string target)
    {
        string[] b = linkDir.Split('/');
        string[] t = target.Split('/');
        int max = Math.Min(b.Length, t.Length - 1);
        int l = 0;
        while (l < max && b[l] == t[l]) l++;
        var sb = new StringBuilder();
        for (int i = l; i < b.Length; i++) sb.Append("../");
        sb.AppendJoin('/', t.AsSpan(l).ToArray());
        return sb.ToString();
    }

    private static IOException Fail(string op, string path, int errno) =>
        new($"{op} {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buf, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "symlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Symlink(string target, string linkPath);

    [LibraryImport("libc", EntryPoint = "mkdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Mkdir(string path, uint mode);
}
