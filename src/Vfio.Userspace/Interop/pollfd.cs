using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct pollfd from poll.h.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct pollfd
{
    public int fd;
    public short events;
    public short revents;
}
