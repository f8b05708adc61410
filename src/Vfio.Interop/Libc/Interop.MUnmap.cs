using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static partial class Libc
{
    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);
}
