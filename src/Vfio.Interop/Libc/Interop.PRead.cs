using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static unsafe partial class Libc
{
    /// <summary>pread(2) on a raw descriptor (off_t is 64-bit on every 64-bit Linux).</summary>
    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    public static partial nint Pread(int fd, void* buffer, nuint count, long offset);

    /// <summary>pread(2) on an owned descriptor, which cannot be closed during the call.</summary>
    public static nint Pread(SafeHandle fd, void* buffer, nuint count, long offset)
    {
        bool added = false;
        fd.DangerousAddRef(ref added);
        try { return Pread((int)fd.DangerousGetHandle(), buffer, count, offset); }
        finally { if (added) fd.DangerousRelease(); }
    }
}
