using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>An owned mmap'ed range (a BAR window or DMA memory); munmap'ed exactly once on release.</summary>
internal sealed unsafe class MappedMemoryHandle : SafeHandle
{
    private MappedMemoryHandle(nint address, nuint length) : base(-1, ownsHandle: true)
    {
        SetHandle(address);
        Length = length;
    }

    /// <summary>Length of the mapping in bytes.</summary>
    public nuint Length { get; }

    /// <summary>Start of the mapping. Valid only while the handle is alive.</summary>
    public byte* Pointer => (byte*)handle;

    public override bool IsInvalid => handle == -1 || handle == 0;

    /// <summary>Maps with mmap; returns null and sets <paramref name="errno"/> on failure.</summary>
    public static MappedMemoryHandle? Map(nuint length, int prot, int flags, SafeHandle? fd, long offset, out int errno)
    {
        nint p;
        if (fd is null)
        {
            p = Libc.Mmap(0, length, prot, flags, -1, offset);
        }
        else
        {
            bool added = false;
            try
            {
                fd.DangerousAddRef(ref added);
                p = Libc.Mmap(0, length, prot, flags, (int)fd.DangerousGetHandle(), offset);
            }
            finally
            {
                if (added) fd.DangerousRelease();
            }
        }
        errno = p == Libc.MAP_FAILED ? Marshal.GetLastPInvokeError() : 0;
        return p == Libc.MAP_FAILED ? null : new MappedMemoryHandle(p, length);
    }

    protected override bool ReleaseHandle() => Libc.Munmap(handle, Length) == 0;
}
