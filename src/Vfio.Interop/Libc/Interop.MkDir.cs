using System.Runtime.InteropServices;

namespace Vfio.Interop;

internal static partial class Libc
{
    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mkdir(string path, uint mode);
}
