using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>
/// The libc calls the library needs. ioctl is variadic in C; passing one pointer-sized argument
/// matches the x86-64 and arm64 Linux calling conventions for it (as dotnet/runtime does).
/// </summary>
internal static unsafe partial class Libc
{
    public const int O_RDWR = 2;
    public const int O_CLOEXEC = 0x80000;

    public const int PROT_NONE = 0;
    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 0x01;
    public const int MAP_PRIVATE = 0x02;
    public const int MAP_FIXED = 0x10;
    public const int MAP_ANONYMOUS = 0x20;
    public const int MAP_NORESERVE = 0x4000;
    public const int MAP_POPULATE = 0x8000;
    public const int MAP_HUGETLB = 0x40000;
    public const int MAP_HUGE_SHIFT = 26;
    public const nint MAP_FAILED = -1;
    public const int MADV_DONTFORK = 10;
    public const int MADV_HUGEPAGE = 14;

    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    public const short POLLIN = 1;

    public const int RLIMIT_MEMLOCK = 8;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(SafeHandle fd, nuint request, nint arg);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(SafeHandle fd, nuint request, void* arg);

    /// <summary>
    /// ioctl on a raw descriptor, without the SetLastError bookkeeping (clearing errno before the call,
    /// storing it after): for <see cref="Interop.Ioctl.Call"/>, which holds a reference on the handle
    /// around the call and reads errno only when the call failed.
    /// </summary>
    [LibraryImport("libc", EntryPoint = "ioctl")]
    public static partial int IoctlRaw(int fd, nuint request, void* arg);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    public static partial nint Pread(SafeHandle fd, void* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    public static partial nint Pwrite(SafeHandle fd, void* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(SafeHandle fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(SafeHandle fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint address, nuint length, int advice);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initval, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(pollfd* fds, nuint nfds, int timeout);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetRlimit(int resource, out rlimit limit);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    /// <summary>Opens a path read-write with O_CLOEXEC; the handle is invalid and errno set on failure.</summary>
    public static FileDescriptorHandle OpenHandle(string path, out int errno)
    {
        int fd = Open(path, O_RDWR | O_CLOEXEC);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return new FileDescriptorHandle(fd);
    }

    /// <summary>Current RLIMIT_MEMLOCK (soft, hard); ulong.MaxValue means unlimited.</summary>
    public static (ulong Soft, ulong Hard) MemlockLimit()
    {
        if (GetRlimit(RLIMIT_MEMLOCK, out var l) != 0) return (0, 0);
        return (l.rlim_cur, l.rlim_max);
    }
}
