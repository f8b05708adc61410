using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>ioctl with errno returned instead of thrown, retried on EINTR.</summary>
internal static unsafe class Ioctl
{
    /// <summary>Calls ioctl with a pointer argument; returns the non-negative result, or -errno.</summary>
    public static int Call(SafeHandle fd, nuint request, void* arg)
    {
        while (true)
        {
            int r = Libc.Ioctl(fd, request, arg);
            if (r >= 0) return r;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR) return -errno;
        }
    }

    /// <summary>Calls ioctl with an integer argument; returns the non-negative result, or -errno.</summary>
    public static int CallValue(SafeHandle fd, nuint request, nint value)
    {
        while (true)
        {
            int r = Libc.Ioctl(fd, request, value);
            if (r >= 0) return r;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR) return -errno;
        }
    }
}
