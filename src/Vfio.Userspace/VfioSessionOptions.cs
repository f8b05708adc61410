namespace Vfio.Userspace;

/// <summary>How <see cref="VfioSession.Open(PciAddress, VfioSessionOptions)"/> opens a device: the IOMMU backend and the device-open options.</summary>
public sealed record VfioSessionOptions
{
    /// <summary>The IOMMU backend; <see cref="VfioBackend.Auto"/> (the default) means the container today.</summary>
    public VfioBackend Backend { get; init; } = VfioBackend.Auto;

    /// <summary>Options the kernel gets when the device is opened (a VF token), or null for none.</summary>
    public VfioDeviceOptions? Device { get; init; }
}
