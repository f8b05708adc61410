using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static unsafe partial class Libc
{
    public const short POLLIN = 1;

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(pollfd* fds, nuint nfds, int timeout);
}

/// <summary>struct pollfd from poll.h.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct pollfd
{
    public int fd;
    public short events;
    public short revents;
}
