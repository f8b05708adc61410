using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// A VFIO container (<c>/dev/vfio/vfio</c>): the IOMMU context groups attach to and DMA is mapped in.
/// Open it, attach at least one group (<see cref="VfioGroup.SetContainer"/>), then
/// <see cref="SetIommu"/>; only then can DMA be mapped. Dispose after every group has left it.
/// This is the <see cref="VfioBackend.Container"/> backend's <see cref="DmaSpace"/>.
/// </summary>
public sealed class VfioContainer : DmaSpace, IDisposable
{
    private readonly Lock _gate = new();
    private IovaAllocator? _iova;

    internal VfioContainer(FileDescriptorHandle handle, string path)
    {
        Handle = handle;
        Path = path;
    }

    internal FileDescriptorHandle Handle { get; }

    /// <summary>The node this container was opened from, normally <c>/dev/vfio/vfio</c>.</summary>
    public override string Path { get; }

    /// <summary><see cref="VfioBackend.Container"/>.</summary>
    public override VfioBackend Backend => VfioBackend.Container;

    /// <summary>The IOVA ranges of <see cref="GetIommuInfo"/> (asked again on each read: a group joining the container can add reserved regions).</summary>
    public override IReadOnlyList<IovaRange> IovaRanges => GetIommuInfo().IovaRanges;

    /// <summary>The page-size bitmap of <see cref="GetIommuInfo"/>.</summary>
    public override ulong PageSizes => GetIommuInfo().PageSizes;

    /// <summary>Opens a new container and checks the API version (VFIO_GET_API_VERSION must be 0).</summary>
    /// <exception cref="VfioException">The node is missing (vfio not loaded) or the API version differs.</exception>
    public static VfioContainer Open(string path = "/dev/vfio/vfio")
    {
        var handle = Libc.OpenHandle(path, out Errno errno);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw errno == Errno.ENOENT
                ? new VfioException(VfioErrorKind.IommuUnavailable, "open " + path, path, errno,
                    $"{path} does not exist: the vfio module is not loaded.", "load it: `modprobe vfio-pci` (as root).")
                : new VfioException(VfioErrorKind.Failed, "open " + path, path, errno, $"the kernel refused to open {path}.",
                    "the container node is normally mode 0666; check its permissions (`ls -l /dev/vfio`).");
        }
        var container = new VfioContainer(handle, path);
        int version = container.ApiVersion;
        if (version != VfioIoctl.VFIO_API_VERSION)
        {
            container.Dispose();
            throw new VfioException(VfioErrorKind.IommuUnavailable, "VFIO_GET_API_VERSION", path, 0,
                $"the kernel's VFIO API version is {version}, this library speaks version {VfioIoctl.VFIO_API_VERSION}.");
        }
        return container;
    }

    /// <summary>VFIO_GET_API_VERSION (0 on every kernel with this API).</summary>
    public int ApiVersion
    {
        get
        {
            int r = Ioctl.CallValue(Handle, VfioIoctl.VFIO_GET_API_VERSION, 0);
            if (r < 0) throw Fail("VFIO_GET_API_VERSION", Ioctl.Error(r), "the container did not report its API version.");
            return r;
        }
    }

    /// <summary>VFIO_CHECK_EXTENSION: whether the container supports an extension or IOMMU model.</summary>
    public bool CheckExtension(VfioExtension extension)
    {
        int r = Ioctl.CallValue(Handle, VfioIoctl.VFIO_CHECK_EXTENSION, (nint)extension);
        if (r < 0) throw Fail("VFIO_CHECK_EXTENSION", Ioctl.Error(r), $"could not ask for extension {extension}.");
        return r > 0;
    }

    /// <summary>The IOMMU model set by <see cref="SetIommu"/>, or null before.</summary>
    public VfioExtension? IommuModel { get; private set; }

    /// <summary>
    /// VFIO_SET_IOMMU: chooses the IOMMU model (type1v2 by default). Needs a group attached first.
    /// Fails with <see cref="VfioErrorKind.IommuUnavailable"/> when the model is not supported, or
    /// ENODEV when vfio_iommu_type1 is not loaded (kernel-facts section 1).
    /// </summary>
    public void SetIommu(VfioExtension model = VfioExtension.Type1v2)
    {
        if (!CheckExtension(model))
            throw new VfioException(VfioErrorKind.IommuUnavailable, "VFIO_CHECK_EXTENSION", Path, 0,
                $"the container does not offer the {model} IOMMU model.",
                model is VfioExtension.Type1 or VfioExtension.Type1v2
                    ? "load the type1 IOMMU driver: `modprobe vfio_iommu_type1` (as root), and check the host has an IOMMU enabled (intel_iommu=on / amd_iommu=on)."
                    : null);
        int r = Ioctl.CallValue(Handle, VfioIoctl.VFIO_SET_IOMMU, (nint)model);
        if (r < 0)
        {
            var errno = Ioctl.Error(r);
            throw errno switch
            {
                Errno.ENODEV => new VfioException(VfioErrorKind.IommuUnavailable, "VFIO_SET_IOMMU", Path, errno,
                    $"no {model} IOMMU driver is available to this container.", "load it: `modprobe vfio_iommu_type1` (as root)."),
                Errno.EINVAL => new VfioException(VfioErrorKind.IommuUnavailable, "VFIO_SET_IOMMU", Path, errno,
                    "the container has no group attached yet, or its IOMMU is already set.",
                    "attach a group first (VfioGroup.SetContainer), and set the IOMMU once."),
                // vfio_iommu_type1 attaches the first group here and refuses a platform without MSI isolation.
                Errno.EPERM when model is VfioExtension.Type1 or VfioExtension.Type1v2 => VfioErrors.UnsafeInterrupts("VFIO_SET_IOMMU", Path, errno, "vfio_iommu_type1", SystemPaths.Default),
                _ => Fail("VFIO_SET_IOMMU", errno, $"the kernel refused the {model} IOMMU model."),
            };
        }
        IommuModel = model;
    }

    /// <summary>VFIO_IOMMU_GET_INFO with its capability chain (IOVA ranges, DMA mappings available).</summary>
    public IommuInfo GetIommuInfo()
    {
        if (IommuModel == VfioExtension.NoIommu) throw NoIommuDma("VFIO_IOMMU_GET_INFO");
        int r = InfoChain.Query(Handle, VfioIoctl.VFIO_IOMMU_GET_INFO, new vfio_iommu_type1_info(), out var buffer);
        if (r < 0) throw Fail("VFIO_IOMMU_GET_INFO", Ioctl.Error(r), "the container did not report its IOMMU.", "call SetIommu first.");
        var info = MemoryMarshal.Read<vfio_iommu_type1_info>(buffer);
        var ranges = new List<IovaRange>();
        uint? avail = null;
        if ((info.flags & VfioIoctl.VFIO_IOMMU_INFO_CAPS) != 0 && info.cap_offset != 0)
        {
            foreach (var cap in InfoChain.Walk(buffer, info.cap_offset, Marshal.SizeOf<vfio_iommu_type1_info>()))
            {
                var body = buffer.AsSpan(cap.Offset, cap.End - cap.Offset);
                if (cap.Id == VfioIoctl.VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE && body.Length >= Marshal.SizeOf<vfio_iommu_type1_info_cap_iova_range>())
                {
                    var head = MemoryMarshal.Read<vfio_iommu_type1_info_cap_iova_range>(body);
                    var items = MemoryMarshal.Cast<byte, vfio_iova_range>(body[Marshal.SizeOf<vfio_iommu_type1_info_cap_iova_range>()..]);
                    for (int i = 0; i < Math.Min((int)Math.Min(head.nr_iovas, int.MaxValue), items.Length); i++)
                        ranges.Add(new IovaRange(items[i].start, items[i].end));
                }
                else if (cap.Id == VfioIoctl.VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL && body.Length >= Marshal.SizeOf<vfio_iommu_type1_info_dma_avail>())
                {
                    avail = MemoryMarshal.Read<vfio_iommu_type1_info_dma_avail>(body).avail;
                }
            }
        }
        // Kernels without the IOVA-range capability (before 5.4) leave the whole space to the caller.
        if (ranges.Count == 0) ranges.Add(new IovaRange(0, ulong.MaxValue));
        ulong pageSizes = (info.flags & VfioIoctl.VFIO_IOMMU_INFO_PGSIZES) != 0 ? info.iova_pgsizes : 4096;
        return new IommuInfo(pageSizes, ranges, avail);
    }

    /// <summary>
    /// The container's IOVA allocator, built on first use from <see cref="GetIommuInfo"/>'s IOVA ranges
    /// and page size, without the first page (IOVA 0 stays unmapped so a null DMA address faults).
    /// <see cref="DmaSpace.AllocateDma"/> takes IOVAs from it.
    /// </summary>
    public override IovaAllocator Iova
    {
        get
        {
            lock (_gate)
            {
                if (_iova is null)
                {
                    var info = GetIommuInfo();
                    ulong granule = Math.Max(info.MinPageSize, 4096);
                    // IOVA 0 is never handed out: a device given a null address then faults in the
                    // IOMMU instead of reaching a buffer.
                    var ranges = info.IovaRanges
                        .Where(r => r.End >= granule)
                        .Select(r => r.Start < granule ? r with { Start = granule } : r);
                    _iova = new IovaAllocator(ranges, granule);
                }
                return _iova;
            }
        }
    }

    /// <summary>
    /// VFIO_IOMMU_MAP_DMA: maps <paramref name="length"/> bytes of this process's memory at
    /// <paramref name="virtualAddress"/> to <paramref name="iova"/>. The pages are pinned and charged to
    /// RLIMIT_MEMLOCK; ENOMEM is reported as <see cref="VfioErrorKind.MemlockLimit"/> with the limit and how
    /// to raise it. Prefer <see cref="DmaSpace.AllocateDma"/>, which owns the memory and the mapping.
    /// </summary>
    public override unsafe void MapDma(nuint virtualAddress, ulong iova, ulong length, DmaAccess access = DmaAccess.ReadWrite)
    {
        if (IommuModel == VfioExtension.NoIommu) throw NoIommuDma("VFIO_IOMMU_MAP_DMA");
        var map = new vfio_iommu_type1_dma_map
        {
            argsz = (uint)sizeof(vfio_iommu_type1_dma_map),
            flags = (uint)access & (VfioIoctl.VFIO_DMA_MAP_FLAG_READ | VfioIoctl.VFIO_DMA_MAP_FLAG_WRITE),
            vaddr = virtualAddress,
            iova = iova,
            size = length,
        };
        int r = Ioctl.Call(Handle, VfioIoctl.VFIO_IOMMU_MAP_DMA, &map);
        // The explanation lives in its own method: this one stays small, with no locals to clear,
        // because it is the per-mapping hot path (bench/vfio-vs-c.sh measures it against C).
        if (r < 0) throw MapFailed(Ioctl.Error(r), iova, length);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private VfioException MapFailed(Errno errno, ulong iova, ulong length)
    {
        if (errno == Errno.ENOMEM)
        {
            var (soft, hard) = Libc.MemlockLimit();
            return VfioErrors.Memlock(iova, length, soft, hard);
        }
        return errno switch
        {
            Errno.EEXIST => Fail("VFIO_IOMMU_MAP_DMA", errno, $"IOVA 0x{iova:x} (+{length} bytes) overlaps an existing mapping.", "unmap it first or use another IOVA (IovaAllocator)."),
            Errno.ENOSPC => Fail("VFIO_IOMMU_MAP_DMA", errno, "the container has reached its mapping limit (vfio_iommu_type1 dma_entry_limit, 65535 by default).", "use fewer, larger buffers, or raise the module parameter dma_entry_limit."),
            Errno.EINVAL => Fail("VFIO_IOMMU_MAP_DMA", errno, $"the kernel rejected the mapping of {length} bytes at IOVA 0x{iova:x}: not page aligned, outside the IOMMU's IOVA ranges, or the IOMMU is not set.", "use IOVAs from the container's IovaAllocator and call SetIommu first."),
            _ => Fail("VFIO_IOMMU_MAP_DMA", errno, $"could not map {length} bytes at IOVA 0x{iova:x}."),
        };
    }

    /// <summary>VFIO_IOMMU_UNMAP_DMA of a range mapped before; returns the bytes the kernel unmapped.</summary>
    public override unsafe ulong UnmapDma(ulong iova, ulong length)
    {
        if (IommuModel == VfioExtension.NoIommu) throw NoIommuDma("VFIO_IOMMU_UNMAP_DMA");
        var unmap = new vfio_iommu_type1_dma_unmap
        {
            argsz = (uint)sizeof(vfio_iommu_type1_dma_unmap),
            iova = iova,
            size = length,
        };
        int r = Ioctl.Call(Handle, VfioIoctl.VFIO_IOMMU_UNMAP_DMA, &unmap);
        if (r < 0) throw UnmapFailed(Ioctl.Error(r), iova, length);
        return unmap.size;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private VfioException UnmapFailed(Errno errno, ulong iova, ulong length) =>
        Fail("VFIO_IOMMU_UNMAP_DMA", errno, $"could not unmap {length} bytes at IOVA 0x{iova:x}.");

    /// <summary>Closes the container fd. Close every device and unset every group first (<see cref="VfioSession"/> does).</summary>
    public void Dispose() => Handle.Dispose();

    /// <summary>The refusal of every DMA call on a no-IOMMU container: there is no IOMMU to map through.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private VfioException NoIommuDma(string op) =>
        new(VfioErrorKind.NoIommu, op, Path, 0,
            "this container is in vfio's unsafe no-IOMMU mode: there is no IOMMU, so nothing can be mapped for the device and IOVAs mean nothing; the device reaches physical memory directly.",
            "a no-IOMMU driver gives the device physical addresses of pinned memory it owns (DPDK reads them from /proc/self/pagemap), at the cost of all isolation; with an IOMMU, bind without --noiommu and use AllocateDma.");

    private VfioException Fail(string op, Errno errno, string detail, string? hint = null) =>
        new(VfioErrorKind.Failed, op, Path, errno, detail, hint);
}
