using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static unsafe partial class Libc
{
    /// <summary>write(2) on a raw descriptor.</summary>
    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    /// <summary>write(2) on an owned descriptor, which cannot be closed during the call.</summary>
    public static nint Write(SafeHandle fd, void* buffer, nuint count)
    {
        bool added = false;
        fd.DangerousAddRef(ref added);
        try { return Write((int)fd.DangerousGetHandle(), buffer, count); }
        finally { if (added) fd.DangerousRelease(); }
    }
}
