using System.Runtime.InteropServices;
using Vfio.Interop;

namespace Vfio.Bench.VfioVsC;

/// <summary>
/// One private anonymous 4 KiB page from mmap(2), touched, exactly what the C side maps: the same
/// kind of page on both sides (not a heap block that might sit in a transparent huge page).
/// </summary>
internal sealed class AnonymousPage : SafeHandle
{
    public const int Size = 4096;

    private AnonymousPage() : base(-1, ownsHandle: true) { }

    public override bool IsInvalid => handle == -1;

    public nuint Address => (nuint)handle;

    public static unsafe AnonymousPage Map()
    {
        nint p = Libc.Mmap(0, Size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0);
        if (p == Libc.MAP_FAILED) throw new InvalidOperationException($"mmap of one page failed (errno {Marshal.GetLastPInvokeError()})");
        new Span<byte>((void*)p, Size).Fill(0x5a);
        var page = new AnonymousPage();
        page.SetHandle(p);
        return page;
    }

    protected override bool ReleaseHandle() => Libc.Munmap(handle, Size) == 0;
}
