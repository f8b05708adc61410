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
    public static MappedMemoryHandle? Map(nuint length, int prot, int flags, SafeHandle? fd, long offset, out Errno errno)
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
        errno = p == Libc.MAP_FAILED ? ErrnoInfo.FromLastPInvokeError() : 0;
        return p == Libc.MAP_FAILED ? null : new MappedMemoryHandle(p, length);
    }

    /// <summary>
    /// Replaces the mapping in place with private anonymous memory (MAP_FIXED: one atomic step in the
    /// kernel), which drops the old mapping and what it held (a BAR mapping holds the device file), while
    /// the address range stays reserved until this handle is released. For mappings that are accessed
    /// without a reference count: a racing access then reads zeros or writes to scratch memory instead of
    /// reaching the device or another mapping that reused the addresses. Falls back to unmapping at once
    /// if the kernel refuses.
    /// </summary>
    public void Retire()
    {
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            nint p = Libc.Mmap(handle, Length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_FIXED, -1, 0);
            if (p != handle) Dispose();
        }
        catch (ObjectDisposedException)
        {
            // Already released.
        }
        finally
        {
            if (added) DangerousRelease();
        }
    }

    protected override bool ReleaseHandle() => Libc.Munmap(handle, Length) == 0;
}
