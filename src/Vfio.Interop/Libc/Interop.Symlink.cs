using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static partial class Libc
{
    [LibraryImport("libc", EntryPoint = "symlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Symlink(string target, string linkPath);
}
