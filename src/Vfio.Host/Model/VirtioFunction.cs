namespace Vfio.Host.Model;

/// <summary>
/// The virtio device (<c>virtioN</c> on the virtio bus) that virtio-pci made for a PCI function,
/// and what its driver negotiated (kernel-facts section 5a).
/// </summary>
/// <param name="Name">The virtio device's name, <c>virtio2</c>.</param>
/// <param name="Driver">Its driver (<c>virtio_net</c>), null when none is bound.</param>
/// <param name="Features">The <c>features</c> file: one '0' or '1' per feature bit, bit 0 first.</param>
public sealed record VirtioFunction(string Name, string? Driver, string? Features)
{
    /// <summary>VIRTIO_F_ACCESS_PLATFORM: the device's DMA goes through the platform's IOMMU.</summary>
    public const int AccessPlatformBit = 33;

    /// <summary>
    /// Whether the device honours the IOMMU: the bit as negotiated by its driver (a driver accepts
    /// it whenever the device offers it). Null when no driver negotiated (nothing bound, or the
    /// file unreadable): unknown, never safe.
    /// </summary>
    public bool? AccessPlatform =>
        Driver is null || Features is null || Features.Length <= AccessPlatformBit || Features.AsSpan().IndexOfAnyExcept('0', '1') >= 0
            ? null
            : Features[AccessPlatformBit] == '1';

    /// <summary>True for the name of a virtio device directory under its PCI function (<c>virtio2</c>).</summary>
    public static bool IsDeviceName(string name) => name.StartsWith("virtio", StringComparison.Ordinal) && name.Length > 6 && char.IsAsciiDigit(name[6]);

    /// <summary>True for a PCI vendor/device id in virtio's range (1af4:1000-107f).</summary>
    public static bool IsVirtioId(ushort? vendor, ushort? device) => vendor == 0x1af4 && device is >= 0x1000 and <= 0x107f;
}
