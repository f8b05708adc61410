namespace Vfio.Execution.Kernel;

/// <summary>Linux errno values the execution layer meets, with their names.</summary>
public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7, ENOMEM = 12, EACCES = 13,
        EBUSY = 16, EEXIST = 17, ENODEV = 19, EINVAL = 22, ENOTTY = 25, ENOSPC = 28, ERANGE = 34, ENOSYS = 38, ETIMEDOUT = 110;

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM", ENOENT => "ENOENT", EINTR => "EINTR", EIO => "EIO", ENXIO => "ENXIO", E2BIG => "E2BIG",
        ENOMEM => "ENOMEM", EACCES => "EACCES", EBUSY => "EBUSY", EEXIST => "EEXIST", ENODEV => "ENODEV",
        EINVAL => "EINVAL", ENOTTY => "ENOTTY", ENOSPC => "ENOSPC", ERANGE => "ERANGE", ENOSYS => "ENOSYS", ETIMEDOUT => "ETIMEDOUT",
        _ => $"errno {errno}",
    };

    public static string Describe(int errno) => errno switch
    {
        EPERM => "operation not permitted",
        ENOENT => "no such file or directory",
        EACCES => "permission denied",
        EBUSY => "device or resource busy",
        ENODEV => "no such device (the driver does not match it)",
        EINVAL => "invalid argument",
        ENOMEM => "out of memory",
        ERANGE => "out of range",
        ENOTTY => "inappropriate ioctl for device",
        ETIMEDOUT => "timed out",
        _ => Name(errno),
    };
}
