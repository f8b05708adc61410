using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static partial class Libc
{
    public const int MADV_DONTFORK = 10;
    public const int MADV_HUGEPAGE = 14;

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint address, nuint length, int advice);
}
