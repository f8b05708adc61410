using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static partial class Libc
{
    /// <summary>isatty(3): 1 when the descriptor is a terminal.</summary>
    [LibraryImport("libc", EntryPoint = "isatty")]
    public static partial int IsATty(int fd);
}
