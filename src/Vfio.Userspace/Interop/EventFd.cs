using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>eventfd(2) helpers: a non-blocking counter the kernel (or another thread) adds to.</summary>
internal static unsafe class EventFd
{
    /// <summary>Creates a non-blocking, close-on-exec eventfd; throws with errno on failure.</summary>
    public static FileDescriptorHandle Create(string device)
    {
        int fd = Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (fd < 0)
        {
            var errno = ErrnoInfo.FromLastPInvokeError();
            throw new VfioException(VfioErrorKind.Failed, "eventfd", device, errno, "could not create an eventfd for an interrupt.",
                errno == Errno.EMFILE ? "the process is out of file descriptors: raise `ulimit -n`." : null);
        }
        return new FileDescriptorHandle(fd);
    }

    /// <summary>Reads and resets the counter: true with its value, false when it is zero (EAGAIN).</summary>
    public static bool TryRead(SafeHandle fd, out ulong value)
    {
        ulong v = 0;
        while (true)
        {
            nint n = Libc.Read(fd, &v, 8);
            if (n == 8)
            {
                value = v;
                return true;
            }
            if (n < 0 && ErrnoInfo.FromLastPInvokeError() == Errno.EINTR) continue;
            value = 0;
            return false;
        }
    }

    /// <summary>Adds one to the counter (wakes a poll on it).</summary>
    public static void Signal(SafeHandle fd)
    {
        ulong one = 1;
        Libc.Write(fd, &one, 8);
    }
}
