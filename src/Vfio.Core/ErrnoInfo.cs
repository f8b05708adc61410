using System.Runtime.InteropServices;

namespace Vfio;

/// <summary>The one place that names and describes an <see cref="Errno"/> for messages.</summary>
public static class ErrnoInfo
{
    /// <summary>The errno of the last P/Invoke call made with SetLastError.</summary>
    public static Errno FromLastPInvokeError() => (Errno)Marshal.GetLastPInvokeError();

    /// <summary>The symbolic name (<c>EPERM</c>), or <c>errno N</c> for a value without one.</summary>
    public static string Name(Errno errno) => errno switch
    {
        Errno.EPERM => "EPERM",
        Errno.ENOENT => "ENOENT",
        Errno.ESRCH => "ESRCH",
        Errno.EINTR => "EINTR",
        Errno.EIO => "EIO",
        Errno.ENXIO => "ENXIO",
        Errno.E2BIG => "E2BIG",
        Errno.EBADF => "EBADF",
        Errno.EAGAIN => "EAGAIN",
        Errno.ENOMEM => "ENOMEM",
        Errno.EACCES => "EACCES",
        Errno.EFAULT => "EFAULT",
        Errno.EBUSY => "EBUSY",
        Errno.EEXIST => "EEXIST",
        Errno.ENODEV => "ENODEV",
        Errno.ENOTDIR => "ENOTDIR",
        Errno.EISDIR => "EISDIR",
        Errno.EINVAL => "EINVAL",
        Errno.ENFILE => "ENFILE",
        Errno.EMFILE => "EMFILE",
        Errno.ENOTTY => "ENOTTY",
        Errno.ENOSPC => "ENOSPC",
        Errno.EROFS => "EROFS",
        Errno.EPIPE => "EPIPE",
        Errno.ERANGE => "ERANGE",
        Errno.ENAMETOOLONG => "ENAMETOOLONG",
        Errno.ENOSYS => "ENOSYS",
        Errno.EMSGSIZE => "EMSGSIZE",
        Errno.EOPNOTSUPP => "EOPNOTSUPP",
        Errno.EADDRINUSE => "EADDRINUSE",
        Errno.ETIMEDOUT => "ETIMEDOUT",
        _ => $"errno {(int)errno}",
    };

    /// <summary>
    /// A short description for a person, in the words vfioctl's messages use where it has them
    /// (ENODEV at a driver's bind file means the driver does not match the device); otherwise
    /// <see cref="Name"/>.
    /// </summary>
    public static string Describe(Errno errno) => errno switch
    {
        Errno.EPERM => "operation not permitted",
        Errno.ENOENT => "no such file or directory",
        Errno.EACCES => "permission denied",
        Errno.EBUSY => "device or resource busy",
        Errno.ENODEV => "no such device (the driver does not match it)",
        Errno.EINVAL => "invalid argument",
        Errno.ENOMEM => "out of memory",
        Errno.ERANGE => "out of range",
        Errno.ENOTTY => "inappropriate ioctl for device",
        Errno.ETIMEDOUT => "timed out",
        _ => Name(errno),
    };
}
