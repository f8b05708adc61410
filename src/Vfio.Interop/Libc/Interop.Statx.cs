using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static unsafe partial class Libc
{
    public const int AT_FDCWD = -100;
    public const uint STATX_BASIC_STATS = 0x7ff;

    /// <summary>statx(2) into a 256-byte struct statx (its layout is the same on every architecture).</summary>
    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}
