namespace Vfio.Userspace;

/// <summary>What a device may do with a DMA mapping (VFIO_DMA_MAP_FLAG_READ/WRITE).</summary>
[Flags]
public enum DmaAccess : uint
{
    /// <summary>The device may read the memory (RAM to device).</summary>
    DeviceRead = 1,
    /// <summary>The device may write the memory (device to RAM).</summary>
    DeviceWrite = 2,
    /// <summary>Both directions.</summary>
    ReadWrite = DeviceRead | DeviceWrite,
}
