using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// A region mapped for register access. Reads and writes are volatile, naturally aligned and
/// bounds-checked against <see cref="Length"/>; offsets inside an mmap'ed window are direct loads
/// and stores, others go through the device fd. Dispose unmaps.
/// </summary>
public sealed class MmioRegion : IDisposable
{
    internal MmioRegion() => throw new NotImplementedException();

    /// <summary>The region index (the BAR number for BARs).</summary>
    public int Index => throw new NotImplementedException();

    /// <summary>Size of the region in bytes.</summary>
    public ulong Length => throw new NotImplementedException();

    /// <summary>The mmap'ed windows (offset, size) within the region; empty when nothing could be mmap'ed.</summary>
    public IReadOnlyList<VfioSparseMmapArea> MappedAreas => throw new NotImplementedException();

    /// <summary>Reads 8 bits at <paramref name="offset"/>.</summary>
    public byte Read8(ulong offset) => throw new NotImplementedException();

    /// <summary>Reads 16 bits at <paramref name="offset"/> (2-byte aligned).</summary>
    public ushort Read16(ulong offset) => throw new NotImplementedException();

    /// <summary>Reads 32 bits at <paramref name="offset"/> (4-byte aligned).</summary>
    public uint Read32(ulong offset) => throw new NotImplementedException();

    /// <summary>Reads 64 bits at <paramref name="offset"/> (8-byte aligned).</summary>
    public ulong Read64(ulong offset) => throw new NotImplementedException();

    /// <summary>Writes 8 bits at <paramref name="offset"/>.</summary>
    public void Write8(ulong offset, byte value) => throw new NotImplementedException();

    /// <summary>Writes 16 bits at <paramref name="offset"/> (2-byte aligned).</summary>
    public void Write16(ulong offset, ushort value) => throw new NotImplementedException();

    /// <summary>Writes 32 bits at <paramref name="offset"/> (4-byte aligned).</summary>
    public void Write32(ulong offset, uint value) => throw new NotImplementedException();

    /// <summary>Writes 64 bits at <paramref name="offset"/> (8-byte aligned).</summary>
    public void Write64(ulong offset, ulong value) => throw new NotImplementedException();

    /// <summary>Unmaps the windows. Idempotent; accesses afterwards throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => throw new NotImplementedException();
}
