using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// An open VFIO device (a device fd from <see cref="VfioGroup.GetDevice(string, VfioDeviceOptions?)"/>):
/// its regions and BARs, configuration space, interrupts, reset and VF token. Dispose closes the fd,
/// after disabling interrupts and unmapping BARs still open; close devices before unsetting the
/// group's container.
/// </summary>
public sealed class VfioDevice : IDisposable
{
    internal VfioDevice(FileDescriptorHandle handle, string name, VfioGroup group) => throw new NotImplementedException();

    internal FileDescriptorHandle Handle => throw new NotImplementedException();

    /// <summary>The device name it was opened by (its PCI address).</summary>
    public string Name => throw new NotImplementedException();

    /// <summary>The PCI address, when the name is one.</summary>
    public PciAddress? Address => throw new NotImplementedException();

    /// <summary>The group the device belongs to.</summary>
    public VfioGroup Group => throw new NotImplementedException();

    /// <summary>VFIO_DEVICE_GET_INFO (read once at open).</summary>
    public VfioDeviceInfo Info => throw new NotImplementedException();

    /// <summary>VFIO_DEVICE_GET_REGION_INFO with the capability chain (argsz grown and retried until it fits).</summary>
    public VfioRegionInfo GetRegionInfo(int index) => throw new NotImplementedException();

    /// <summary>VFIO_DEVICE_GET_REGION_INFO for a fixed vfio-pci region.</summary>
    public VfioRegionInfo GetRegionInfo(VfioPciRegion region) => GetRegionInfo((int)region);

    /// <summary>VFIO_DEVICE_GET_IRQ_INFO.</summary>
    public VfioIrqInfo GetIrqInfo(VfioIrqIndex index) => throw new NotImplementedException();

    /// <summary>
    /// Maps BAR <paramref name="bar"/> (0-5) for MMIO. The mmap-able windows are mapped (all of it, or the
    /// sparse-mmap areas); accesses outside them go through the device fd, so every offset of the BAR works.
    /// </summary>
    /// <exception cref="VfioException"><see cref="VfioErrorKind.NotSupported"/> for an absent BAR or an I/O-port BAR.</exception>
    public MmioRegion MapBar(int bar) => throw new NotImplementedException();

    /// <summary>Maps any region index for access (see <see cref="MapBar"/>).</summary>
    public MmioRegion MapRegion(int index) => throw new NotImplementedException();

    /// <summary>Reads region bytes through the device fd (pread at the region's offset).</summary>
    public void ReadRegion(int index, ulong offset, Span<byte> destination) => throw new NotImplementedException();

    /// <summary>Writes region bytes through the device fd (pwrite at the region's offset).</summary>
    public void WriteRegion(int index, ulong offset, ReadOnlySpan<byte> source) => throw new NotImplementedException();

    /// <summary>PCI configuration space through the config region (the kernel virtualises parts of it).</summary>
    public ConfigSpace Config => throw new NotImplementedException();

    /// <summary>The device's interrupts (INTx, MSI, MSI-X) delivered through eventfds.</summary>
    public DeviceInterrupts Interrupts => throw new NotImplementedException();

    /// <summary>VFIO_DEVICE_RESET (function-level or whatever reset_method the kernel picks).</summary>
    /// <exception cref="VfioException"><see cref="VfioErrorKind.NotSupported"/> when the device has no reset.</exception>
    public void Reset() => throw new NotImplementedException();

    /// <summary>
    /// VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: the devices a bus reset would affect (ENOSPC: buffer grown and
    /// retried). A hot reset needs the group fd of every one of them.
    /// </summary>
    public IReadOnlyList<VfioHotResetDevice> GetHotResetInfo() => throw new NotImplementedException();

    /// <summary>
    /// VFIO_DEVICE_FEATURE SET PCI_VF_TOKEN: sets the VF token on an open SR-IOV PF (kernel-facts section 4;
    /// 16 bytes in RFC 4122 order). ENOTTY when the device is not a PF is <see cref="VfioErrorKind.NotSupported"/>.
    /// </summary>
    public void SetVfToken(Guid token) => throw new NotImplementedException();

    /// <summary>Disables interrupts, unmaps BARs, closes the device fd. Idempotent.</summary>
    public void Dispose() => throw new NotImplementedException();
}
