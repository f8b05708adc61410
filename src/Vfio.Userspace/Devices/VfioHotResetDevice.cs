namespace Vfio.Userspace;

/// <summary>
/// A device a hot (bus or slot) reset would affect (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO). Through a
/// group the kernel reports its IOMMU group, and ownership is proven by passing that group's fd.
/// Through a cdev it reports the device's id in the caller's iommufd instead (docs/kernel-facts.md
/// section 5b): <see cref="DeviceId"/> and <see cref="Owned"/> say whether the caller owns it.
/// </summary>
/// <param name="GroupId">The device's IOMMU group (through a cdev: read from sysfs, -1 when it has none).</param>
/// <param name="Address">The device.</param>
public readonly record struct VfioHotResetDevice(int GroupId, PciAddress Address)
{
    /// <summary>The devid value the kernel gives a device owned through the caller's IOMMU group without a devid of its own.</summary>
    public const uint DevIdOwned = 0;

    /// <summary>The devid value the kernel gives a device the caller does not own (or that is not on a vfio driver).</summary>
    public const uint DevIdNotOwned = uint.MaxValue;

    /// <summary>Through a cdev: the device's id in the caller's iommufd, <see cref="DevIdOwned"/> or <see cref="DevIdNotOwned"/>; null through a group.</summary>
    public uint? DeviceId { get; init; }

    /// <summary>Through a cdev: whether the caller owns the device; null through a group (ownership is proven with group fds there).</summary>
    public bool? Owned => DeviceId is { } id ? id != DevIdNotOwned : null;
}
