namespace Vfio.Userspace;

/// <summary>Configuration space through vfio-pci's config region (pread/pwrite on the device fd).</summary>
internal sealed class DeviceConfigAccess(VfioDevice device, VfioRegionInfo region) : IConfigAccess
{
    public int Length { get; } = (int)Math.Min(region.Size, 4096);

    public void Read(int offset, Span<byte> destination) => device.ReadAt(region, (ulong)offset, destination);

    public void Write(int offset, ReadOnlySpan<byte> source) => device.WriteAt(region, (ulong)offset, source);
}
