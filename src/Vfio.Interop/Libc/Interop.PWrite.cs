using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static unsafe partial class Libc
{
    /// <summary>pwrite(2) on a raw descriptor.</summary>
    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    public static partial nint Pwrite(int fd, void* buffer, nuint count, long offset);

    /// <summary>pwrite(2) on an owned descriptor, which cannot be closed during the call.</summary>
    public static nint Pwrite(SafeHandle fd, void* buffer, nuint count, long offset)
    {
        bool added = false;
        fd.DangerousAddRef(ref added);
        try { return Pwrite((int)fd.DangerousGetHandle(), buffer, count, offset); }
        finally { if (added) fd.DangerousRelease(); }
    }
}
