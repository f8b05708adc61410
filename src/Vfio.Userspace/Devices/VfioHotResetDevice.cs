namespace Vfio.Userspace;

/// <summary>A device a hot (bus) reset would affect, and its IOMMU group (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO).</summary>
public readonly record struct VfioHotResetDevice(int GroupId, PciAddress Address);
