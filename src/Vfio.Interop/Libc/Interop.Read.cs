using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static unsafe partial class Libc
{
    /// <summary>read(2) on a raw descriptor.</summary>
    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    /// <summary>read(2) on an owned descriptor, which cannot be closed during the call.</summary>
    public static nint Read(SafeHandle fd, void* buffer, nuint count)
    {
        bool added = false;
        fd.DangerousAddRef(ref added);
        try { return Read((int)fd.DangerousGetHandle(), buffer, count); }
        finally { if (added) fd.DangerousRelease(); }
    }
}
