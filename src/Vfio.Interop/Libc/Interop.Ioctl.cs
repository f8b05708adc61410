using System.Runtime.InteropServices;

namespace Vfio.Interop;

/// <summary>
/// The libc functions the solution calls, each declared once in a file of its own (Interop.NAME.cs),
/// with the constants and structs that belong to it. Linux x86-64/arm64 values; every one is checked
/// against the C headers by KernelStructLayoutTests.
/// </summary>
internal static unsafe partial class Libc
{
    /// <summary>
    /// ioctl(2) on a raw descriptor, without the SetLastError bookkeeping (clearing errno before the
    /// call, storing it after): callers read <see cref="Marshal.GetLastSystemError"/> straight after a
    /// failed call, as the DMA map/unmap hot path does. ioctl is variadic in C; one pointer-sized argument
    /// matches the x86-64 and arm64 Linux calling conventions for it (as dotnet/runtime does).
    /// </summary>
    [LibraryImport("libc", EntryPoint = "ioctl")]
    public static partial int IoctlRaw(int fd, nuint request, void* arg);

    /// <summary>ioctl with a pointer argument on an owned descriptor; errno is kept for <see cref="Marshal.GetLastPInvokeError"/>.</summary>
    public static int Ioctl(SafeHandle fd, nuint request, void* arg)
    {
        bool added = false;
        fd.DangerousAddRef(ref added);
        try
        {
            int r = IoctlRaw((int)fd.DangerousGetHandle(), request, arg);
            Marshal.SetLastPInvokeError(r < 0 ? Marshal.GetLastSystemError() : 0);
            return r;
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }

    /// <summary>ioctl with an integer argument on an owned descriptor; errno is kept for <see cref="Marshal.GetLastPInvokeError"/>.</summary>
    public static int Ioctl(SafeHandle fd, nuint request, nint arg) => Ioctl(fd, request, (void*)arg);
}
