namespace Vfio.Userspace;

/// <summary>What VFIO_DEVICE_GET_INFO reports.</summary>
/// <param name="Flags">Device kind and abilities.</param>
/// <param name="RegionCount">Number of region indexes (9 for vfio-pci: BAR0-5, ROM, config, VGA; more for device-specific regions).</param>
/// <param name="IrqCount">Number of IRQ indexes (5 for vfio-pci: INTx, MSI, MSI-X, ERR, REQ).</param>
public sealed record VfioDeviceInfo(VfioDeviceFlags Flags, int RegionCount, int IrqCount)
{
    /// <summary>Whether VFIO_DEVICE_RESET is supported.</summary>
    public bool CanReset => (Flags & VfioDeviceFlags.Reset) != 0;

    /// <summary>Whether this is a vfio-pci device.</summary>
    public bool IsPci => (Flags & VfioDeviceFlags.Pci) != 0;
}
