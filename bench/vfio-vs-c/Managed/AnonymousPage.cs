using System.Runtime.InteropServices;

namespace Vfio.Bench.VfioVsC;

/// <summary>
/// One private anonymous 4 KiB page from mmap(2), touched, exactly what the C side maps: the same
/// kind of page on both sides (not a heap block that might sit in a transparent huge page).
/// </summary>
internal sealed partial class AnonymousPage : SafeHandle
{
    public const int Size = 4096;
    private const int PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20;

    private AnonymousPage() : base(-1, ownsHandle: true) { }

    public override bool IsInvalid => handle == -1;

    public nuint Address => (nuint)handle;

    public static unsafe AnonymousPage Map()
    {
        nint p = mmap(0, Size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == -1) throw new InvalidOperationException($"mmap of one page failed (errno {Marshal.GetLastPInvokeError()})");
        new Span<byte>((void*)p, Size).Fill(0x5a);
        var page = new AnonymousPage();
        page.SetHandle(p);
        return page;
    }

    protected override bool ReleaseHandle() => munmap(handle, Size) == 0;

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint addr, nuint length);
}
