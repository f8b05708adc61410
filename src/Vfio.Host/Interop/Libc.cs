using System.Runtime.InteropServices;

namespace Vfio.Host.Interop;

/// <summary>
/// The few libc calls the sysfs reader needs, so that a small attribute costs open + read + close
/// and nothing more (no fstat, no advisory locks). File descriptors never leave this class.
/// </summary>
internal static unsafe partial class Libc
{
    private const int O_RDONLY = 0;
    private const int O_CLOEXEC = 0x80000;
    private const int EINTR = 4;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ReadLink(string path, byte* buffer, nuint size);

    /// <summary>
    /// Reads a file from its start into <paramref name="buffer"/>; returns the byte count, or -1 when
    /// it cannot be opened or read (missing, permission, device gone). With <paramref name="singleRead"/>
    /// one read is made (sysfs text attributes, and small regular files, come whole in one);
    /// otherwise reads go on until end of file or a full buffer (procfs tables come a page at a time).
    /// </summary>
    public static int ReadFile(string path, Span<byte> buffer, bool singleRead = false)
    {
        int fd = Open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return -1;
        try
        {
            int total = 0;
            fixed (byte* p = buffer)
            {
                while (total < buffer.Length)
                {
                    // Large single requests fail on some procfs files (sysctl handlers allocate the whole count).
                    nint n = Read(fd, p + total, (nuint)Math.Min(buffer.Length - total, 65536));
                    if (n < 0)
                    {
                        if (Marshal.GetLastPInvokeError() == EINTR) continue;
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
            Close(fd);
        }
    }

    /// <summary>The target of a symbolic link, or null when the path is not a link or cannot be read.</summary>
    public static string? ReadLinkTarget(string path)
    {
        Span<byte> buffer = stackalloc byte[4096];
        fixed (byte* p = buffer)
        {
            nint n = ReadLink(path, p, (nuint)buffer.Length);
            return n <= 0 ? null : System.Text.Encoding.UTF8.GetString(p, (int)n);
        }
    }
}
