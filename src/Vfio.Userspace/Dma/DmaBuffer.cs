using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// Memory a device can reach: anonymous pages of this process, pinned and mapped into a container's
/// IOMMU at <see cref="Iova"/>. Dispose unmaps the DMA first (so the device can no longer reach it),
/// returns the IOVA to the allocator, then unmaps the memory.
/// </summary>
public sealed unsafe class DmaBuffer : IDisposable
{
    internal DmaBuffer(VfioContainer container, IovaAllocator? allocator, MappedMemoryHandle memory, ulong iova, nuint length, nuint pageSize, DmaAccess access)
    {
        Container = container;
        Allocator = allocator;
        Memory = memory;
        Iova = iova;
        Length = length;
        PageSize = pageSize;
        Access = access;
    }

    internal VfioContainer Container { get; }
    internal IovaAllocator? Allocator { get; }
    internal MappedMemoryHandle Memory { get; }

    /// <summary>The I/O virtual address the device uses for the first byte.</summary>
    public ulong Iova { get; }

    /// <summary>Length in bytes (a multiple of <see cref="PageSize"/>).</summary>
    public nuint Length { get; }

    /// <summary>The page size backing the buffer: 4 KiB, or 2 MiB for huge pages.</summary>
    public nuint PageSize { get; }

    /// <summary>Whether huge pages back the buffer.</summary>
    public bool HugePages => PageSize > 4096;

    /// <summary>What the device may do with the memory.</summary>
    public DmaAccess Access { get; }

    /// <summary>The CPU's view of the memory. Throws after Dispose.</summary>
    public Span<byte> Span => throw new NotImplementedException();

    /// <summary>The CPU address of the first byte (valid until Dispose), for drivers that build descriptors.</summary>
    public nuint Address => throw new NotImplementedException();

    /// <summary>The IOVA of a byte offset within the buffer, bounds-checked.</summary>
    public ulong IovaAt(nuint offset) => throw new NotImplementedException();

    /// <summary>Unmaps the DMA, frees the IOVA, then unmaps the memory. Idempotent.</summary>
    public void Dispose() => throw new NotImplementedException();
}
