using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static partial class Libc
{
    public const int RLIMIT_MEMLOCK = 8;

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetRlimit(int resource, out rlimit limit);

    /// <summary>Current RLIMIT_MEMLOCK (soft, hard); ulong.MaxValue means unlimited.</summary>
    public static (ulong Soft, ulong Hard) MemlockLimit()
    {
        if (GetRlimit(RLIMIT_MEMLOCK, out var l) != 0) return (0, 0);
        return (l.rlim_cur, l.rlim_max);
    }
}

/// <summary>struct rlimit from sys/resource.h (64-bit rlim_t).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct rlimit
{
    public ulong rlim_cur;
    public ulong rlim_max;
}
