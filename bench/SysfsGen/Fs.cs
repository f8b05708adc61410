using System.Runtime.InteropServices;
using System.Text;
using Vfio;
using Vfio.Interop;

namespace SysfsGen;

/// <summary>Creates files, directories and relative symlinks under one root, counting them.
/// Paths are relative to the root; links are given the target's root-relative path and are
/// written relative to the link's directory, as sysfs does. Uses open/write/close directly:
/// a quarter of a million files is mostly system-call cost, and FileStream adds four more per file.</summary>
internal sealed class Fs(string root)
{
    public const UnixFileMode RO = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    public const UnixFileMode RW = RO | UnixFileMode.UserWrite;
    public const UnixFileMode WO = UnixFileMode.UserWrite;
    public const UnixFileMode Priv = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                         UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const int CreateNew = Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC;

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
        if (Libc.Mkdir(abs, (uint)DirMode) == 0)
        {
            Interlocked.Increment(ref _dirs);
            return;
        }
        var err = ErrnoInfo.FromLastPInvokeError();
        if (err == Errno.EEXIST) return;
        if (err == Errno.ENOENT)
        {
            MkdirP(Path.GetDirectoryName(abs)!);
            if (Libc.Mkdir(abs, (uint)DirMode) == 0)
            {
                Interlocked.Increment(ref _dirs);
                return;
            }
            err = ErrnoInfo.FromLastPInvokeError();
            if (err == Errno.EEXIST) return;
        }
        throw Fail("mkdir", abs, (int)err);
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
        int fd = Libc.Open(path, CreateNew, (uint)mode);
        if (fd < 0) throw Fail("open", path, Marshal.GetLastPInvokeError());
        try
        {
            fixed (byte* p = data)
            {
                nint off = 0;
                while (off < data.Length)
                {
                    nint w = Libc.Write(fd, p + off, (nuint)(data.Length - off));
                    if (w < 0) throw Fail("write", path, Marshal.GetLastPInvokeError());
                    off += w;
                }
            }
        }
        finally
        {
            _ = Libc.Close(fd);
        }
        Interlocked.Increment(ref _files);
    }

    /// <summary>A file whose size is what stat shows for a sysfs binary attribute (BARs, ROMs);
    /// sparse, so it costs no disk space. Reading it gives zeros, not device memory.</summary>
    public void Sparse(string rel, long size, UnixFileMode mode = Priv)
    {
        string path = Abs(rel);
        int fd = Libc.Open(path, CreateNew, (uint)mode);
        if (fd < 0) throw Fail("open", path, Marshal.GetLastPInvokeError());
        try
        {
            if (Libc.Ftruncate(fd, size) != 0) throw Fail("ftruncate", path, Marshal.GetLastPInvokeError());
        }
        finally
        {
            _ = Libc.Close(fd);
        }
        Interlocked.Increment(ref _files);
    }

    public void Link(string rel, string targetRel)
    {
        string linkAbs = Abs(rel);
        string target = KernfsRelative(Path.GetDirectoryName(rel)!, targetRel);
        if (Libc.Symlink(target, linkAbs) != 0) throw Fail("symlink", linkAbs, Marshal.GetLastPInvokeError());
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
}
