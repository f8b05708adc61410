using System.Runtime.InteropServices;
using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// An open VFIO device (a device fd from <see cref="VfioSession.Open(PciAddress, VfioSessionOptions)"/>
/// or, with the container backend, <see cref="VfioGroup.GetDevice(string, VfioDeviceOptions?)"/>):
/// its regions and BARs, configuration space, interrupts, reset and VF token. Dispose closes the fd,
/// after disabling interrupts and unmapping BARs still open; close devices before the backend lets go
/// of their IOMMU context (with the container backend: before unsetting the group's container).
/// </summary>
public sealed unsafe class VfioDevice : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<MmioRegion> _regions = [];
    private ConfigSpace? _config;
    private DeviceInterrupts? _interrupts;
    private bool _disposed;

    internal VfioDevice(FileDescriptorHandle handle, string name, DmaSpace dma)
    {
        Handle = handle;
        Name = name;
        Dma = dma;
        Address = PciAddress.TryParse(name, out var a) ? a : null;
        try
        {
            Info = QueryInfo();
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    internal FileDescriptorHandle Handle { get; }

    /// <summary>The device name it was opened by (its PCI address).</summary>
    public string Name { get; }

    /// <summary>The PCI address, when the name is one.</summary>
    public PciAddress? Address { get; }

    /// <summary>
    /// The DMA space the device's DMA goes through: with the container backend, the container its group
    /// was attached to when the device was opened. Map the memory the device reaches here.
    /// </summary>
    public DmaSpace Dma { get; }

    /// <summary>The device's id in its iommufd (VFIO_DEVICE_BIND_IOMMUFD's out_devid) when opened through its cdev; null through a group.</summary>
    public uint? IommufdDeviceId { get; internal init; }

    /// <summary>The cdev the device was opened through (<c>/dev/vfio/devices/vfioN</c>), or null when opened through its group.</summary>
    public string? Cdev { get; internal init; }

    /// <summary>VFIO_DEVICE_GET_INFO (read once at open).</summary>
    public VfioDeviceInfo Info { get; }

    private VfioDeviceInfo QueryInfo()
    {
        var info = new vfio_device_info { argsz = (uint)sizeof(vfio_device_info) };
        int r = Ioctl.Call(Handle, VfioIoctl.VFIO_DEVICE_GET_INFO, &info);
        if (r < 0) throw Fail("VFIO_DEVICE_GET_INFO", Ioctl.Error(r), "the device did not report its regions and interrupts.");
        return new VfioDeviceInfo((VfioDeviceFlags)info.flags, (int)info.num_regions, (int)info.num_irqs);
    }

    /// <summary>VFIO_DEVICE_GET_REGION_INFO with the capability chain (argsz grown and retried until it fits).</summary>
    public VfioRegionInfo GetRegionInfo(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        int r = InfoChain.Query(Handle, VfioIoctl.VFIO_DEVICE_GET_REGION_INFO, new vfio_region_info { index = (uint)index }, out var buffer);
        if (r < 0)
            throw new VfioException(Ioctl.Error(r) == Errno.EINVAL ? VfioErrorKind.NotSupported : VfioErrorKind.Failed, "VFIO_DEVICE_GET_REGION_INFO", Name, Ioctl.Error(r),
                $"no region {index} (the device has {Info.RegionCount} region indexes).");
        return ParseRegionInfo(buffer);
    }

    /// <summary>Decodes a region-info buffer and its capability chain (shared with the tests).</summary>
    internal static VfioRegionInfo ParseRegionInfo(ReadOnlySpan<byte> buffer)
    {
        var info = MemoryMarshal.Read<vfio_region_info>(buffer);
        var caps = new List<VfioRegionCapability>();
        if ((info.flags & VfioIoctl.VFIO_REGION_INFO_FLAG_CAPS) != 0 && info.cap_offset != 0)
        {
            foreach (var cap in InfoChain.Walk(buffer, info.cap_offset, sizeof(vfio_region_info)))
            {
                var body = buffer[cap.Offset..cap.End];
                switch (cap.Id)
                {
                    case VfioIoctl.VFIO_REGION_INFO_CAP_SPARSE_MMAP when body.Length >= sizeof(vfio_region_info_cap_sparse_mmap):
                    {
                        var head = MemoryMarshal.Read<vfio_region_info_cap_sparse_mmap>(body);
                        var items = MemoryMarshal.Cast<byte, vfio_region_sparse_mmap_area>(body[sizeof(vfio_region_info_cap_sparse_mmap)..]);
                        int n = (int)Math.Min(head.nr_areas, (uint)items.Length);
                        var areas = new VfioSparseMmapArea[n];
                        for (int i = 0; i < n; i++) areas[i] = new VfioSparseMmapArea(items[i].offset, items[i].size);
                        caps.Add(new VfioSparseMmapCapability(cap.Version, areas));
                        break;
                    }
                    case VfioIoctl.VFIO_REGION_INFO_CAP_TYPE when body.Length >= sizeof(vfio_region_info_cap_type):
                    {
                        var t = MemoryMarshal.Read<vfio_region_info_cap_type>(body);
                        caps.Add(new VfioRegionTypeCapability(cap.Version, t.type, t.subtype));
                        break;
                    }
                    case VfioIoctl.VFIO_REGION_INFO_CAP_MSIX_MAPPABLE:
                        caps.Add(new VfioMsixMappableCapability(cap.Version));
                        break;
                    default:
                    {
                        int headerSize = sizeof(vfio_info_cap_header);
                        caps.Add(new VfioUnknownRegionCapability(cap.Id, cap.Version, body.Length > headerSize ? body[headerSize..].ToArray() : Array.Empty<byte>()));
                        break;
                    }
                }
            }
        }
        return new VfioRegionInfo((int)info.index, (VfioRegionFlags)info.flags, info.size, info.offset, caps);
    }

    /// <summary>VFIO_DEVICE_GET_REGION_INFO for a fixed vfio-pci region.</summary>
    public VfioRegionInfo GetRegionInfo(VfioPciRegion region) => GetRegionInfo((int)region);

    /// <summary>VFIO_DEVICE_GET_IRQ_INFO.</summary>
    public VfioIrqInfo GetIrqInfo(VfioIrqIndex index)
    {
        var info = new vfio_irq_info { argsz = (uint)sizeof(vfio_irq_info), index = (uint)index };
        int r = Ioctl.Call(Handle, VfioIoctl.VFIO_DEVICE_GET_IRQ_INFO, &info);
        if (r < 0)
            throw new VfioException(Ioctl.Error(r) == Errno.EINVAL ? VfioErrorKind.NotSupported : VfioErrorKind.Failed, "VFIO_DEVICE_GET_IRQ_INFO", Name, Ioctl.Error(r),
                $"no IRQ index {index} (the device has {Info.IrqCount}).");
        return new VfioIrqInfo(index, (VfioIrqFlags)info.flags, (int)info.count);
    }

    /// <summary>
    /// Maps BAR <paramref name="bar"/> (0-5) for MMIO. The mmap-able windows are mapped (all of it, or the
    /// sparse-mmap areas); accesses outside them go through the device fd, so every offset of the BAR works.
    /// </summary>
    /// <exception cref="VfioException"><see cref="VfioErrorKind.NotSupported"/> for an absent BAR.</exception>
    public MmioRegion MapBar(int bar)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bar);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bar, 5);
        return MapRegion(bar);
    }

    /// <summary>Maps any region index for access (see <see cref="MapBar"/>).</summary>
    public MmioRegion MapRegion(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var info = GetRegionInfo(index);
        if (info.Size == 0)
            throw new VfioException(VfioErrorKind.NotSupported, "map region", Name, 0,
                $"region {index} is not implemented by the device (size 0: no such BAR).", "check the device's BARs with `lspci -v`.");
        var region = MmioRegion.Create(this, info);
        lock (_gate) _regions.Add(region);
        return region;
    }

    internal void Forget(MmioRegion region)
    {
        lock (_gate) _regions.Remove(region);
    }

    /// <summary>Reads region bytes through the device fd (pread at the region's offset).</summary>
    public void ReadRegion(int index, ulong offset, Span<byte> destination) =>
        ReadAt(GetRegionInfo(index), offset, destination);

    /// <summary>Writes region bytes through the device fd (pwrite at the region's offset).</summary>
    public void WriteRegion(int index, ulong offset, ReadOnlySpan<byte> source) =>
        WriteAt(GetRegionInfo(index), offset, source);

    internal void ReadAt(VfioRegionInfo region, ulong offset, Span<byte> destination)
    {
        CheckRange(region, offset, (ulong)destination.Length);
        fixed (byte* p = destination)
        {
            int done = 0;
            while (done < destination.Length)
            {
                nint n = Libc.Pread(Handle, p + done, (nuint)(destination.Length - done), (long)(region.Offset + offset) + done);
                if (n < 0)
                {
                    var errno = ErrnoInfo.FromLastPInvokeError();
                    if (errno == Errno.EINTR) continue;
                    throw Fail("pread", errno, $"reading {destination.Length} bytes at 0x{offset:x} of region {region.Index} failed.");
                }
                if (n == 0) throw Fail("pread", Errno.EIO, $"region {region.Index} ended at 0x{offset + (ulong)done:x}.");
                done += (int)n;
            }
        }
    }

    internal void WriteAt(VfioRegionInfo region, ulong offset, ReadOnlySpan<byte> source)
    {
        CheckRange(region, offset, (ulong)source.Length);
        fixed (byte* p = source)
        {
            int done = 0;
            while (done < source.Length)
            {
                nint n = Libc.Pwrite(Handle, p + done, (nuint)(source.Length - done), (long)(region.Offset + offset) + done);
                if (n < 0)
                {
                    var errno = ErrnoInfo.FromLastPInvokeError();
                    if (errno == Errno.EINTR) continue;
                    throw Fail("pwrite", errno, $"writing {source.Length} bytes at 0x{offset:x} of region {region.Index} failed.");
                }
                if (n == 0) throw Fail("pwrite", Errno.EIO, $"region {region.Index} ended at 0x{offset + (ulong)done:x}.");
                done += (int)n;
            }
        }
    }

    private void CheckRange(VfioRegionInfo region, ulong offset, ulong length)
    {
        if (offset > region.Size || length > region.Size - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), offset,
                $"{length} bytes at 0x{offset:x} lie outside region {region.Index} of {Name} (0x{region.Size:x} bytes).");
    }

    /// <summary>PCI configuration space through the config region (the kernel virtualises parts of it).</summary>
    public ConfigSpace Config
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            lock (_gate) return _config ??= new ConfigSpace(new DeviceConfigAccess(this, GetRegionInfo(VfioPciRegion.Config)));
        }
    }

    /// <summary>The device's interrupts (INTx, MSI, MSI-X) delivered through eventfds.</summary>
    public DeviceInterrupts Interrupts
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            lock (_gate) return _interrupts ??= new DeviceInterrupts(this);
        }
    }

    /// <summary>VFIO_DEVICE_RESET (function-level or whatever reset_method the kernel picks).</summary>
    /// <exception cref="VfioException"><see cref="VfioErrorKind.NotSupported"/> when the device has no reset.</exception>
    public void Reset()
    {
        if (!Info.CanReset)
            throw new VfioException(VfioErrorKind.NotSupported, "VFIO_DEVICE_RESET", Name, 0,
                "the device has no function-level reset the kernel can use (VFIO_DEVICE_FLAGS_RESET is clear).",
                "a bus reset may be possible: see GetHotResetInfo.");
        int r = Ioctl.CallValue(Handle, VfioIoctl.VFIO_DEVICE_RESET, 0);
        if (r < 0)
            throw new VfioException(Ioctl.Error(r) == Errno.ENOTTY ? VfioErrorKind.NotSupported : VfioErrorKind.Failed, "VFIO_DEVICE_RESET", Name, Ioctl.Error(r),
                "the reset failed.", "check `cat /sys/bus/pci/devices/" + Name + "/reset_method` and the kernel log.");
    }

    /// <summary>
    /// VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: the devices a bus reset would affect (ENOSPC: buffer grown and
    /// retried). Through a group, a hot reset needs the group fd of every one of them; through a cdev,
    /// every one must be owned in this iommufd (<see cref="VfioHotResetDevice.Owned"/>).
    /// </summary>
    public IReadOnlyList<VfioHotResetDevice> GetHotResetInfo() => QueryHotResetInfo().Devices;

    internal (IReadOnlyList<VfioHotResetDevice> Devices, bool ByDeviceId, bool AllOwned) QueryHotResetInfo()
    {
        int count = 8;
        for (int attempt = 0; attempt < 8; attempt++)
        {
            int size = sizeof(vfio_pci_hot_reset_info) + count * sizeof(vfio_pci_dependent_device);
            var buffer = new byte[size];
            MemoryMarshal.Write(buffer, new vfio_pci_hot_reset_info { argsz = (uint)size });
            int r;
            fixed (byte* p = buffer) r = Ioctl.Call(Handle, VfioIoctl.VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, p);
            var head = MemoryMarshal.Read<vfio_pci_hot_reset_info>(buffer);
            if (Ioctl.Error(r) == Errno.ENOSPC)
            {
                // vfio_pci_ioctl_get_pci_hot_reset_info sets count to what it needs before returning ENOSPC.
                count = Math.Max((int)head.count, count * 2);
                continue;
            }
            if (r < 0)
                throw new VfioException(Ioctl.Error(r) == Errno.ENODEV ? VfioErrorKind.NotSupported : VfioErrorKind.Failed, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO", Name, Ioctl.Error(r),
                    Ioctl.Error(r) == Errno.ENODEV ? "the device cannot be reset through its bus or slot (no bus reset available)." : "the kernel did not report the hot-reset set.");
            bool byDevId = (head.flags & VfioIoctl.VFIO_PCI_HOT_RESET_FLAG_DEV_ID) != 0;
            var items = MemoryMarshal.Cast<byte, vfio_pci_dependent_device>(buffer.AsSpan(sizeof(vfio_pci_hot_reset_info)));
            var result = new List<VfioHotResetDevice>();
            for (int i = 0; i < Math.Min((int)head.count, items.Length); i++)
            {
                var d = items[i];
                var address = new PciAddress(d.segment, d.bus, (byte)(d.devfn >> 3), (byte)(d.devfn & 7));
                result.Add(byDevId
                    ? new VfioHotResetDevice(GroupOf(address), address) { DeviceId = d.group_id }
                    : new VfioHotResetDevice((int)d.group_id, address));
            }
            return (result, byDevId, byDevId && (head.flags & VfioIoctl.VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED) != 0);
        }
        throw new VfioException(VfioErrorKind.Failed, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO", Name, Errno.ENOSPC, "the hot-reset set kept growing.");
    }

    private static bool OnVfio(PciAddress address)
    {
        var paths = SystemPaths.Default;
        string name = address.ToString();
        if (paths.CdevOf(name) is not null) return true;
        try { return paths.DriverOf(name) is { } driver && (driver == "vfio-pci" || driver.EndsWith("vfio_pci", StringComparison.Ordinal) || driver.EndsWith("vfio-pci", StringComparison.Ordinal)); }
        catch (IOException) { return false; }
    }

    private static int GroupOf(PciAddress address)
    {
        try { return SystemPaths.Default.GroupOf(address.ToString()) ?? -1; }
        catch (DirectoryNotFoundException) { return -1; }
    }

    /// <summary>
    /// VFIO_DEVICE_PCI_HOT_RESET: resets the bus or slot the device is on, and so every device
    /// <see cref="GetHotResetInfo"/> lists. Through a group, <paramref name="groups"/> must cover the
    /// group of every affected device (the device's own group is added when this device was opened
    /// through a <see cref="VfioSession"/>: use <see cref="VfioSession.HotReset"/>); through a cdev the
    /// kernel checks ownership itself and no group is passed. Before asking the kernel, the affected set
    /// is checked: a device not owned by the caller is named and the reset refused
    /// (<see cref="VfioErrorKind.NotOwned"/>), nothing reset.
    /// </summary>
    /// <param name="groups">Group fds proving ownership (container backend); ignored for a cdev device.</param>
    public void HotReset(IEnumerable<VfioGroup>? groups = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (devices, byDevId, allOwned) = QueryHotResetInfo();
        var held = (groups ?? []).ToList();
        if (byDevId)
        {
            var notOwned = devices.Where(d => d.Owned == false).ToList();
            if (notOwned.Count > 0 || !allOwned)
                throw NotOwned(devices, notOwned, "in this iommufd (bound to it, or in the IOMMU group of a device that is)");
            DoHotReset([]);
            return;
        }
        var have = held.Select(g => g.Number).ToHashSet();
        // A device of a held group that is not on a vfio driver (a member fenced with pci-stub) is outside
        // vfio-pci's reset set: the kernel refuses, so it is named here first.
        var missing = devices.Where(d => !have.Contains(d.GroupId) || !OnVfio(d.Address)).ToList();
        if (missing.Count > 0) throw NotOwned(devices, missing, "by a group this caller holds (pass the VfioGroup of each)");
        DoHotReset(held);
    }

    private void DoHotReset(List<VfioGroup> groups)
    {
        var added = new bool[groups.Count];
        try
        {
            var fds = new int[groups.Count];
            for (int i = 0; i < groups.Count; i++)
            {
                groups[i].Handle.DangerousAddRef(ref added[i]);
                fds[i] = (int)groups[i].Handle.DangerousGetHandle();
            }
            int size = sizeof(vfio_pci_hot_reset) + fds.Length * sizeof(int);
            var buffer = new byte[size];
            MemoryMarshal.Write(buffer, new vfio_pci_hot_reset { argsz = (uint)size, count = (uint)fds.Length });
            MemoryMarshal.AsBytes(fds.AsSpan()).CopyTo(buffer.AsSpan(sizeof(vfio_pci_hot_reset)));
            int r;
            fixed (byte* p = buffer) r = Ioctl.Call(Handle, VfioIoctl.VFIO_DEVICE_PCI_HOT_RESET, p);
            if (r < 0)
            {
                var errno = Ioctl.Error(r);
                throw new VfioException(errno is Errno.EPERM or Errno.EINVAL ? VfioErrorKind.NotOwned : VfioErrorKind.Failed, "VFIO_DEVICE_PCI_HOT_RESET", Name, errno,
                    errno switch
                    {
                        Errno.EPERM => "the kernel says the caller does not own every device the reset affects.",
                        Errno.EINVAL => "the kernel refused: a device the reset affects is not on a vfio driver, or the group fds do not cover the affected set.",
                        Errno.EBUSY => "a device the reset affects is in use (opened by another user, or its driver is changing).",
                        _ => "the hot reset failed.",
                    },
                    "check the affected set with GetHotResetInfo and the drivers with `vfioctl show`.");
            }
        }
        finally
        {
            for (int i = 0; i < groups.Count; i++) if (added[i]) groups[i].Handle.DangerousRelease();
        }
    }

    private VfioException NotOwned(IReadOnlyList<VfioHotResetDevice> all, IReadOnlyList<VfioHotResetDevice> notOwned, string how)
    {
        var paths = SystemPaths.Default;
        string Describe(VfioHotResetDevice d)
        {
            string? driver = null;
            try { driver = paths.DriverOf(d.Address.ToString()); } catch (IOException) { }
            return $"{d.Address} ({driver ?? "no driver"}{(d.GroupId >= 0 ? $", IOMMU group {d.GroupId}" : "")})";
        }
        var names = notOwned.Count > 0 ? notOwned : all;
        return new VfioException(VfioErrorKind.NotOwned, "VFIO_DEVICE_PCI_HOT_RESET", Name, 0,
            $"a hot reset of {Name} also resets {string.Join(", ", all.Where(d => d.Address != Address).Select(d => d.Address.ToString()).DefaultIfEmpty("nothing else"))}, and not all of it is owned {how}: not owned: {string.Join(", ", names.Select(Describe))}.",
            $"bind every affected device to vfio-pci (`vfioctl bind {string.Join(' ', names.Select(d => d.Address.ToString()))}`) and open it in this process, or reset only this function (VFIO_DEVICE_RESET).");
    }

    /// <summary>
    /// VFIO_DEVICE_FEATURE SET PCI_VF_TOKEN: sets the VF token on an open SR-IOV PF (kernel-facts section 4;
    /// 16 bytes in RFC 4122 order). ENOTTY when the device is not a PF is <see cref="VfioErrorKind.NotSupported"/>.
    /// </summary>
    public void SetVfToken(Guid token)
    {
        int size = sizeof(vfio_device_feature) + 16;
        byte* buffer = stackalloc byte[size];
        *(vfio_device_feature*)buffer = new vfio_device_feature
        {
            argsz = (uint)size,
            flags = VfioIoctl.VFIO_DEVICE_FEATURE_SET | VfioIoctl.VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
        };
        if (!token.TryWriteBytes(new Span<byte>(buffer + sizeof(vfio_device_feature), 16), bigEndian: true, out _))
            throw new InvalidOperationException("a Guid is 16 bytes");
        int r = Ioctl.Call(Handle, VfioIoctl.VFIO_DEVICE_FEATURE, buffer);
        if (r < 0)
        {
            var errno = Ioctl.Error(r);
            throw errno switch
            {
                Errno.ENOTTY => new VfioException(VfioErrorKind.NotSupported, "VFIO_DEVICE_FEATURE(PCI_VF_TOKEN)", Name, errno,
                    $"{Name} is not an SR-IOV PF under vfio-pci, so it has no VF token.", "set the token on the PF, which must be bound with `modprobe vfio-pci enable_sriov=1`."),
                Errno.EINVAL => new VfioException(VfioErrorKind.NotSupported, "VFIO_DEVICE_FEATURE(PCI_VF_TOKEN)", Name, errno,
                    "the kernel refused the token: vfio-pci was not loaded with enable_sriov=1, or VFs of this PF are open.",
                    "reload vfio-pci with enable_sriov=1, and set the token before VFs are opened."),
                _ => Fail("VFIO_DEVICE_FEATURE(PCI_VF_TOKEN)", errno, "the kernel refused the VF token."),
            };
        }
    }

    /// <summary>Disables interrupts, unmaps BARs, closes the device fd. Idempotent.</summary>
    public void Dispose()
    {
        MmioRegion[] regions;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            regions = [.. _regions];
            _regions.Clear();
        }
        _interrupts?.Dispose();
        foreach (var r in regions) r.Dispose();
        Handle.Dispose();
    }

    private VfioException Fail(string op, Errno errno, string detail) => new(VfioErrorKind.Failed, op, Name, errno, detail);
}
