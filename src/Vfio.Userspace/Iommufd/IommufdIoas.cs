using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// An iommufd I/O address space (IOAS): the <see cref="VfioBackend.Iommufd"/> backend's
/// <see cref="DmaSpace"/>. Devices bound to the same <see cref="Iommufd"/> are attached to it; what is
/// mapped here is what they reach. Each attach can narrow the valid IOVA ranges (the device's IOMMU
/// aperture and reserved regions), so the ranges are asked for again after every attach and the
/// allocator is narrowed with them. Buffers backed by a memfd are mapped by file
/// (IOMMU_IOAS_MAP_FILE), the rest by address (IOMMU_IOAS_MAP).
/// </summary>
public sealed class IommufdIoas : DmaSpace, IDisposable
{
    private readonly Lock _gate = new();
    private IovaAllocator? _iova;
    private bool _disposed;

    internal IommufdIoas(Iommufd owner, uint id)
    {
        Owner = owner;
        Id = id;
    }

    /// <summary>The iommufd this space lives in.</summary>
    public Iommufd Owner { get; }

    /// <summary>The IOAS object id (what VFIO_DEVICE_ATTACH_IOMMUFD_PT takes).</summary>
    public uint Id { get; }

    /// <summary><see cref="VfioBackend.Iommufd"/>.</summary>
    public override VfioBackend Backend => VfioBackend.Iommufd;

    /// <summary>The iommufd node, <c>/dev/iommu</c>.</summary>
    public override string Path => Owner.Path;

    /// <summary>IOMMU_IOAS_IOVA_RANGES, asked on each read (an attach narrows them).</summary>
    public override IReadOnlyList<IovaRange> IovaRanges => QueryRanges().Ranges;

    /// <summary>
    /// Every power of two from the IOAS's required IOVA alignment up: iommufd reports one alignment
    /// (out_iova_alignment), the lowest page size of the attached IOMMUs.
    /// </summary>
    public override ulong PageSizes => ~(QueryRanges().Alignment - 1);

    /// <summary>
    /// The IOVA allocator, built on first use from the current ranges without the first granule (IOVA 0
    /// stays unmapped so a null DMA address faults), and narrowed after each later attach.
    /// </summary>
    public override IovaAllocator Iova
    {
        get
        {
            lock (_gate)
            {
                if (_iova is null)
                {
                    var (ranges, alignment) = QueryRanges();
                    ulong granule = Math.Max(alignment, 4096);
                    _iova = new IovaAllocator(ranges
                        .Where(r => r.End >= granule)
                        .Select(r => r.Start < granule ? r with { Start = granule } : r), granule);
                }
                return _iova;
            }
        }
    }

    /// <summary>After a device is attached: the ranges are read again and free IOVA outside them is withdrawn from the allocator.</summary>
    internal void Refresh()
    {
        var (ranges, _) = QueryRanges();
        lock (_gate) _iova?.Restrict(ranges);
    }

    internal unsafe (IReadOnlyList<IovaRange> Ranges, ulong Alignment) QueryRanges()
    {
        // First with no room: the kernel fills num_iovas and returns EMSGSIZE when there are ranges to copy.
        int capacity = 4;
        for (int attempt = 0; attempt < 6; attempt++)
        {
            var items = new iommu_iova_range[capacity];
            fixed (iommu_iova_range* p = items)
            {
                var q = new iommu_ioas_iova_ranges
                {
                    size = (uint)sizeof(iommu_ioas_iova_ranges),
                    ioas_id = Id,
                    num_iovas = (uint)capacity,
                    allowed_iovas = (ulong)p,
                };
                int r = Ioctl.Call(Owner.Handle, IommufdIoctl.IOMMU_IOAS_IOVA_RANGES, &q);
                if (r < 0 && Ioctl.Error(r) == Errno.EMSGSIZE)
                {
                    capacity = Math.Max((int)q.num_iovas, capacity * 2);
                    continue;
                }
                if (r < 0) throw Fail("IOMMU_IOAS_IOVA_RANGES", Ioctl.Error(r), "the I/O address space did not report its IOVA ranges.");
                var list = new IovaRange[Math.Min((int)q.num_iovas, capacity)];
                for (int i = 0; i < list.Length; i++) list[i] = new IovaRange(items[i].start, items[i].last);
                ulong alignment = q.out_iova_alignment;
                if (alignment == 0 || (alignment & (alignment - 1)) != 0) alignment = 4096;
                return (list, alignment);
            }
        }
        throw Fail("IOMMU_IOAS_IOVA_RANGES", Errno.EMSGSIZE, "the list of IOVA ranges kept growing.");
    }

    private static uint MapFlags(DmaAccess access) =>
        IommufdIoctl.IOMMU_IOAS_MAP_FIXED_IOVA
        | ((access & DmaAccess.DeviceRead) != 0 ? IommufdIoctl.IOMMU_IOAS_MAP_READABLE : 0)
        | ((access & DmaAccess.DeviceWrite) != 0 ? IommufdIoctl.IOMMU_IOAS_MAP_WRITEABLE : 0);

    /// <summary>
    /// IOMMU_IOAS_MAP at a fixed IOVA: maps <paramref name="length"/> bytes of this process's memory at
    /// <paramref name="virtualAddress"/>. The pages are pinned and charged to RLIMIT_MEMLOCK (ENOMEM
    /// is reported as <see cref="VfioErrorKind.MemlockLimit"/>).
    /// </summary>
    public override unsafe void MapDma(nuint virtualAddress, ulong iova, ulong length, DmaAccess access = DmaAccess.ReadWrite)
    {
        var map = new iommu_ioas_map
        {
            size = (uint)sizeof(iommu_ioas_map),
            flags = MapFlags(access),
            ioas_id = Id,
            user_va = virtualAddress,
            length = length,
            iova = iova,
        };
        int r = Ioctl.Call(Owner.Handle, IommufdIoctl.IOMMU_IOAS_MAP, &map);
        if (r < 0) throw MapFailed("IOMMU_IOAS_MAP", Ioctl.Error(r), iova, length);
    }

    /// <summary>
    /// IOMMU_IOAS_MAP_FILE (6.13) at a fixed IOVA: maps <paramref name="length"/> bytes of a memfd or
    /// hugetlbfs file from <paramref name="offset"/>, by file rather than by address, so the pages are
    /// pinned from the file itself (no process mapping needed).
    /// </summary>
    /// <exception cref="VfioException"><see cref="VfioErrorKind.NotSupported"/> on a kernel without it (ENOTTY).</exception>
    public unsafe void MapFile(SafeHandle file, ulong offset, ulong iova, ulong length, DmaAccess access = DmaAccess.ReadWrite)
    {
        ArgumentNullException.ThrowIfNull(file);
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            var map = new iommu_ioas_map_file
            {
                size = (uint)sizeof(iommu_ioas_map_file),
                flags = MapFlags(access),
                ioas_id = Id,
                fd = (int)file.DangerousGetHandle(),
                start = offset,
                length = length,
                iova = iova,
            };
            int r = Ioctl.Call(Owner.Handle, IommufdIoctl.IOMMU_IOAS_MAP_FILE, &map);
            if (r < 0) throw MapFailed("IOMMU_IOAS_MAP_FILE", Ioctl.Error(r), iova, length);
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private VfioException MapFailed(string op, Errno errno, ulong iova, ulong length)
    {
        if (errno == Errno.ENOMEM)
        {
            var (soft, hard) = Libc.MemlockLimit();
            return VfioErrors.Memlock(iova, length, soft, hard, op, Path);
        }
        return errno switch
        {
            Errno.EEXIST or Errno.EADDRINUSE => Fail(op, errno, $"IOVA 0x{iova:x} (+{length} bytes) overlaps an existing mapping or a reserved region.", "unmap it first or take IOVAs from the IovaAllocator."),
            Errno.ENOTTY when op == "IOMMU_IOAS_MAP_FILE" => new VfioException(VfioErrorKind.NotSupported, op, Path, errno,
                "this kernel's iommufd cannot map by file (IOMMU_IOAS_MAP_FILE came in 6.13).", "allocate with DmaMemory.Anonymous, which maps by address."),
            Errno.EINVAL => Fail(op, errno, $"the kernel rejected the mapping of {length} bytes at IOVA 0x{iova:x}: not aligned to the IOAS's IOVA alignment, outside its IOVA ranges, or a file that cannot be pinned.", "use IOVAs from the IovaAllocator and lengths in whole pages."),
            _ => Fail(op, errno, $"could not map {length} bytes at IOVA 0x{iova:x}."),
        };
    }

    /// <summary>IOMMU_IOAS_UNMAP of a range mapped before; returns the bytes the kernel unmapped.</summary>
    public override unsafe ulong UnmapDma(ulong iova, ulong length)
    {
        var unmap = new iommu_ioas_unmap
        {
            size = (uint)sizeof(iommu_ioas_unmap),
            ioas_id = Id,
            iova = iova,
            length = length,
        };
        int r = Ioctl.Call(Owner.Handle, IommufdIoctl.IOMMU_IOAS_UNMAP, &unmap);
        if (r < 0) throw UnmapFailed(Ioctl.Error(r), iova, length);
        return unmap.length;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private VfioException UnmapFailed(Errno errno, ulong iova, ulong length) =>
        Fail("IOMMU_IOAS_UNMAP", errno, errno == Errno.ENOENT
            ? $"nothing is mapped at IOVA 0x{iova:x} (+{length} bytes)."
            : $"could not unmap {length} bytes at IOVA 0x{iova:x} (a range that splits a mapping is refused).");

    /// <summary>IOMMU_DESTROY of the IOAS (its mappings go with it); the devices attached must be closed first. Idempotent.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        try { Owner.Destroy(Id); }
        catch (ObjectDisposedException) { /* the iommufd is closed: the kernel freed the IOAS with it */ }
    }

    private VfioException Fail(string op, Errno errno, string detail, string? hint = null) =>
        new(VfioErrorKind.Failed, op, Path, errno, detail, hint);
}
