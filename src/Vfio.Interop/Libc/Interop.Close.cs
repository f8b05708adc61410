using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static partial class Libc
{
    /// <summary>
    /// close(2). Without SetLastError on purpose: the last close of a descriptor happens inside a
    /// SafeHandle release, which runs after the call it guarded, and must not overwrite that call's errno.
    /// </summary>
    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);
}
