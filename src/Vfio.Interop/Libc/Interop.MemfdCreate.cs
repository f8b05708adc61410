using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static partial class Libc
{
    public const uint MFD_CLOEXEC = 0x1;
    public const uint MFD_HUGETLB = 0x4;

    // The huge page size goes in the flags shifted by MAP_HUGE_SHIFT (both are the kernel's
    // HUGETLB_FLAG_ENCODE_SHIFT, 26; glibc's sys/mman.h declares only the MAP_ one).

    /// <summary>memfd_create(2): an anonymous file in memory; returns the fd, or -1 with errno set.</summary>
    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MemfdCreate(string name, uint flags);
}
