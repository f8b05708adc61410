using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static partial class Libc
{
    /// <summary>geteuid(2): cannot fail.</summary>
    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();
}
