using Vfio.Interop;

namespace Vfio.Host.Interop;

/// <summary>
/// File reads for the sysfs reader straight through libc, so that a small attribute costs open + read
/// + close and nothing more (no fstat, no advisory locks). File descriptors never leave this class.
/// </summary>
internal static unsafe class RawFile
{
    /// <summary>
    /// Reads a file from its start into <paramref name="buffer"/>; returns the byte count, or -1 when
    /// it cannot be opened or read (missing, permission, device gone). With <paramref name="singleRead"/>
    /// one read is made (sysfs text attributes, and small regular files, come whole in one);
    /// otherwise reads go on until end of file or a full buffer (procfs tables come a page at a time).
    /// </summary>
    public static int ReadFile(string path, Span<byte> buffer, bool singleRead = false)
    {
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0) return -1;
        try
        {
            int total = 0;
            fixed (byte* p = buffer)
            {
                while (total < buffer.Length)
                {
                    // Large single requests fail on some procfs files (sysctl handlers allocate the whole count).
                    nint n = Libc.Read(fd, p + total, (nuint)Math.Min(buffer.Length - total, 65536));
                    if (n < 0)
                    {
                        if (ErrnoInfo.FromLastPInvokeError() == Errno.EINTR) continue;
                        return -1;
                    }
                    if (n == 0) break;
                    total += (int)n;
                    // A sysfs attribute comes whole in one read; asking again only finds end of file.
                    if (singleRead) break;
                }
            }
            return total;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>The target of a symbolic link, or null when the path is not a link or cannot be read.</summary>
    public static string? ReadLinkTarget(string path)
    {
        Span<byte> buffer = stackalloc byte[4096];
        fixed (byte* p = buffer)
        {
            nint n = Libc.ReadLink(path, p, (nuint)buffer.Length);
            return n <= 0 ? null : System.Text.Encoding.UTF8.GetString(p, (int)n);
        }
    }
}
