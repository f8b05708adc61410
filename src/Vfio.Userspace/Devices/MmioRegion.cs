using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// A region mapped for register access. Reads and writes are volatile, naturally aligned and
/// bounds-checked against <see cref="Length"/>; offsets inside an mmap'ed window are direct loads
/// and stores, others go through the device fd. Values are little-endian, as PCI registers are.
/// Dispose unmaps.
/// </summary>
/// <remarks>
/// The window at offset 0 (the whole BAR, or its first sparse area, where the registers are) is
/// the fast path: one inlined compare against a per-width limit, an alignment test that folds away
/// for constant offsets, and a volatile load or store through a raw pointer. No reference count is
/// taken on it; instead Dispose zeroes the limits and then replaces the window with anonymous memory
/// (<see cref="MappedMemoryHandle.Retire"/>) rather than unmapping it, so an access racing Dispose
/// touches harmless memory, never the device or an address reused by another mapping. The
/// placeholder is unmapped when the region is collected.
/// </remarks>
public sealed unsafe class MmioRegion : IDisposable
{
    private readonly VfioDevice _device;
    private readonly VfioRegionInfo _info;
    private readonly Window[] _windows;
    private int _disposed;

    // The fast path (see remarks): the window at offset 0 and, per access width, the first offset
    // that is not inside it (an N-byte access at offset o fits when o < limit). Zero: no fast path.
    private readonly byte* _direct;
    private ulong _readLimit1, _readLimit2, _readLimit4, _readLimit8;
    private ulong _writeLimit1, _writeLimit2, _writeLimit4, _writeLimit8;

    private readonly record struct Window(ulong Offset, ulong Size, MappedMemoryHandle Memory);

    private MmioRegion(VfioDevice device, VfioRegionInfo info, Window[] windows)
    {
        _device = device;
        _info = info;
        _windows = windows;
        foreach (var w in windows)
        {
            if (w.Offset != 0 || w.Size < 8) continue;
            _direct = w.Memory.Pointer;
            (_readLimit1, _readLimit2, _readLimit4, _readLimit8) = (w.Size, w.Size - 1, w.Size - 3, w.Size - 7);
            if ((info.Flags & VfioRegionFlags.Write) != 0)
                (_writeLimit1, _writeLimit2, _writeLimit4, _writeLimit8) = (_readLimit1, _readLimit2, _readLimit4, _readLimit8);
            break;
        }
    }

    /// <summary>Maps the mmap-able windows of a region; windows the kernel refuses stay on the fd path.</summary>
    internal static MmioRegion Create(VfioDevice device, VfioRegionInfo info)
    {
        var windows = new List<Window>();
        if (info.CanMmap)
        {
            // With a sparse-mmap capability only its areas may be mapped (the MSI-X table is left out
            // unless the kernel says MSIX_MAPPABLE, in which case vfio-pci reports no sparse areas).
            var areas = info.SparseMmapAreas ?? [new VfioSparseMmapArea(0, info.Size)];
            int prot = Libc.PROT_READ | ((info.Flags & VfioRegionFlags.Write) != 0 ? Libc.PROT_WRITE : 0);
            ulong page = (ulong)Environment.SystemPageSize;
            foreach (var area in areas)
            {
                if (area.Size == 0 || area.Offset >= info.Size) continue;
                ulong size = Math.Min(area.Size, info.Size - area.Offset);
                ulong mapLength = (size + page - 1) & ~(page - 1);
                var memory = MappedMemoryHandle.Map((nuint)mapLength, prot, Libc.MAP_SHARED, device.Handle, (long)(info.Offset + area.Offset), out _);
                if (memory is not null) windows.Add(new Window(area.Offset, size, memory));
            }
        }
        return new MmioRegion(device, info, [.. windows]);
    }

    /// <summary>The region index (the BAR number for BARs).</summary>
    public int Index => _info.Index;

    /// <summary>Size of the region in bytes.</summary>
    public ulong Length => _info.Size;

    /// <summary>The region's info as the kernel reported it when mapped.</summary>
    public VfioRegionInfo Info => _info;

    /// <summary>The mmap'ed windows (offset, size) within the region; empty when nothing could be mmap'ed.</summary>
    public IReadOnlyList<VfioSparseMmapArea> MappedAreas => [.. _windows.Select(w => new VfioSparseMmapArea(w.Offset, w.Size))];

    /// <summary>Reads 8 bits at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte Read8(ulong offset)
    {
        if (offset < _readLimit1)
        {
            byte value = Volatile.Read(ref *(_direct + offset));
            GC.KeepAlive(this); // keeps the window (or its placeholder) mapped through the access
            return value;
        }
        return Read8Slow(offset);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte Read8Slow(ulong offset)
    {
        var w = Enter(offset, 1, out byte* p);
        if (p is null) { Span<byte> b = stackalloc byte[1]; _device.ReadAt(_info, offset, b); return b[0]; }
        try { return Volatile.Read(ref *p); } finally { w!.DangerousRelease(); }
    }

    /// <summary>Reads 16 bits at <paramref name="offset"/> (2-byte aligned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ushort Read16(ulong offset)
    {
        if (offset < _readLimit2 && (offset & 1) == 0)
        {
            ushort value = Volatile.Read(ref *(ushort*)(_direct + offset));
            GC.KeepAlive(this); // keeps the window (or its placeholder) mapped through the access
            return value;
        }
        return Read16Slow(offset);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ushort Read16Slow(ulong offset)
    {
        var w = Enter(offset, 2, out byte* p);
        if (p is null) { Span<byte> b = stackalloc byte[2]; _device.ReadAt(_info, offset, b); return BinaryPrimitives.ReadUInt16LittleEndian(b); }
        try { return Volatile.Read(ref *(ushort*)p); } finally { w!.DangerousRelease(); }
    }

    /// <summary>Reads 32 bits at <paramref name="offset"/> (4-byte aligned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Read32(ulong offset)
    {
        if (offset < _readLimit4 && (offset & 3) == 0)
        {
            uint value = Volatile.Read(ref *(uint*)(_direct + offset));
            GC.KeepAlive(this); // keeps the window (or its placeholder) mapped through the access
            return value;
        }
        return Read32Slow(offset);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private uint Read32Slow(ulong offset)
    {
        var w = Enter(offset, 4, out byte* p);
        if (p is null) { Span<byte> b = stackalloc byte[4]; _device.ReadAt(_info, offset, b); return BinaryPrimitives.ReadUInt32LittleEndian(b); }
        try { return Volatile.Read(ref *(uint*)p); } finally { w!.DangerousRelease(); }
    }

    /// <summary>Reads 64 bits at <paramref name="offset"/> (8-byte aligned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Read64(ulong offset)
    {
        if (offset < _readLimit8 && (offset & 7) == 0)
        {
            ulong value = Volatile.Read(ref *(ulong*)(_direct + offset));
            GC.KeepAlive(this); // keeps the window (or its placeholder) mapped through the access
            return value;
        }
        return Read64Slow(offset);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong Read64Slow(ulong offset)
    {
        var w = Enter(offset, 8, out byte* p);
        if (p is null) { Span<byte> b = stackalloc byte[8]; _device.ReadAt(_info, offset, b); return BinaryPrimitives.ReadUInt64LittleEndian(b); }
        try { return Volatile.Read(ref *(ulong*)p); } finally { w!.DangerousRelease(); }
    }

    /// <summary>Writes 8 bits at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write8(ulong offset, byte value)
    {
        if (offset < _writeLimit1)
        {
            Volatile.Write(ref *(_direct + offset), value);
            GC.KeepAlive(this);
            return;
        }
        Write8Slow(offset, value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Write8Slow(ulong offset, byte value)
    {
        var w = Enter(offset, 1, out byte* p);
        if (p is null) { Span<byte> b = [value]; _device.WriteAt(_info, offset, b); return; }
        try { Volatile.Write(ref *p, value); } finally { w!.DangerousRelease(); }
    }

    /// <summary>Writes 16 bits at <paramref name="offset"/> (2-byte aligned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write16(ulong offset, ushort value)
    {
        if (offset < _writeLimit2 && (offset & 1) == 0)
        {
            Volatile.Write(ref *(ushort*)(_direct + offset), value);
            GC.KeepAlive(this);
            return;
        }
        Write16Slow(offset, value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Write16Slow(ulong offset, ushort value)
    {
        var w = Enter(offset, 2, out byte* p);
        if (p is null) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, value); _device.WriteAt(_info, offset, b); return; }
        try { Volatile.Write(ref *(ushort*)p, value); } finally { w!.DangerousRelease(); }
    }

    /// <summary>Writes 32 bits at <paramref name="offset"/> (4-byte aligned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write32(ulong offset, uint value)
    {
        if (offset < _writeLimit4 && (offset & 3) == 0)
        {
            Volatile.Write(ref *(uint*)(_direct + offset), value);
            GC.KeepAlive(this);
            return;
        }
        Write32Slow(offset, value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Write32Slow(ulong offset, uint value)
    {
        var w = Enter(offset, 4, out byte* p);
        if (p is null) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, value); _device.WriteAt(_info, offset, b); return; }
        try { Volatile.Write(ref *(uint*)p, value); } finally { w!.DangerousRelease(); }
    }

    /// <summary>Writes 64 bits at <paramref name="offset"/> (8-byte aligned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write64(ulong offset, ulong value)
    {
        if (offset < _writeLimit8 && (offset & 7) == 0)
        {
            Volatile.Write(ref *(ulong*)(_direct + offset), value);
            GC.KeepAlive(this);
            return;
        }
        Write64Slow(offset, value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Write64Slow(ulong offset, ulong value)
    {
        var w = Enter(offset, 8, out byte* p);
        if (p is null) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, value); _device.WriteAt(_info, offset, b); return; }
        try { Volatile.Write(ref *(ulong*)p, value); } finally { w!.DangerousRelease(); }
    }

    /// <summary>
    /// Checks bounds and alignment, then finds the mapped window holding the access: returns its
    /// handle (reference taken, so Dispose cannot unmap under the access) and the address, or null
    /// and a null address when the access must go through the device fd.
    /// </summary>
    private MappedMemoryHandle? Enter(ulong offset, int width, out byte* address)
    {
        if (Volatile.Read(ref _disposed) != 0) throw new ObjectDisposedException(nameof(MmioRegion));
        if (offset > _info.Size || (ulong)width > _info.Size - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), offset,
                $"a {width * 8}-bit access at 0x{offset:x} lies outside region {_info.Index} (0x{_info.Size:x} bytes).");
        if ((offset & (ulong)(width - 1)) != 0)
            throw new ArgumentException($"a {width * 8}-bit access at 0x{offset:x} is not {width}-byte aligned.", nameof(offset));
        foreach (var w in _windows)
        {
            if (offset < w.Offset || offset - w.Offset > w.Size - (ulong)width || w.Size < (ulong)width) continue;
            bool added = false;
            w.Memory.DangerousAddRef(ref added);
            address = w.Memory.Pointer + (offset - w.Offset);
            return w.Memory;
        }
        address = null;
        return null;
    }

    /// <summary>Unmaps the windows. Idempotent; accesses afterwards throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Close the fast path first, then take the device away from the windows (see remarks).
        Volatile.Write(ref _readLimit1, 0);
        Volatile.Write(ref _readLimit2, 0);
        Volatile.Write(ref _readLimit4, 0);
        Volatile.Write(ref _readLimit8, 0);
        Volatile.Write(ref _writeLimit1, 0);
        Volatile.Write(ref _writeLimit2, 0);
        Volatile.Write(ref _writeLimit4, 0);
        Volatile.Write(ref _writeLimit8, 0);
        foreach (var w in _windows) w.Memory.Retire();
        _device.Forget(this);
    }
}
