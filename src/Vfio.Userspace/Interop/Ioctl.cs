using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>ioctl with errno returned instead of thrown, retried on EINTR.</summary>
internal static unsafe class Ioctl
{
    /// <summary>
    /// Calls ioctl with a pointer argument; returns the non-negative result, or -errno. This is the hot
    /// path of DMA map/unmap, kept to what safety needs: one reference on the handle around the call,
    /// so the fd cannot be closed and its number reused under it, and errno read only on failure,
    /// straight after the call and before the reference is dropped (the last release closes the fd,
    /// which could change errno). Nothing between DangerousAddRef and DangerousRelease can throw, so
    /// there is no try/finally.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Call(SafeHandle fd, nuint request, void* arg)
    {
        bool added = false;
        fd.DangerousAddRef(ref added); // throws ObjectDisposedException once the handle is closed
        int raw = (int)fd.DangerousGetHandle();
        int r;
        while (true)
        {
            r = Libc.IoctlRaw(raw, request, arg);
            if (r >= 0) break;
            int errno = Marshal.GetLastSystemError();
            if (errno == (int)Errno.EINTR) continue;
            r = -errno;
            break;
        }
        fd.DangerousRelease();
        return r;
    }

    /// <summary>The errno of a failed <see cref="Call"/> or <see cref="CallValue"/> (its result is -errno).</summary>
    public static Errno Error(int result) => (Errno)(-result);

    /// <summary>Calls ioctl with an integer argument; returns the non-negative result, or -errno.</summary>
    public static int CallValue(SafeHandle fd, nuint request, nint value)
    {
        while (true)
        {
            int r = Libc.Ioctl(fd, request, value);
            if (r >= 0) return r;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != (int)Errno.EINTR) return -errno;
        }
    }
}
