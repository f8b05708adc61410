using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static partial class Libc
{
    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_CLOEXEC = 0x80000;

    /// <summary>open(2). <paramref name="mode"/> is read only with O_CREAT (open is variadic in C).</summary>
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, uint mode);

    /// <summary>open(2) without O_CREAT.</summary>
    public static int Open(string path, int flags) => Open(path, flags, 0);

    /// <summary>Opens a path read-write with O_CLOEXEC; the handle is invalid and errno set on failure.</summary>
    public static FileDescriptorHandle OpenHandle(string path, out Errno errno)
    {
        int fd = Open(path, O_RDWR | O_CLOEXEC);
        errno = fd < 0 ? ErrnoInfo.FromLastPInvokeError() : 0;
        return new FileDescriptorHandle(fd);
    }
}
