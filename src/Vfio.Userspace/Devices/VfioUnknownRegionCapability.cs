namespace Vfio.Userspace;

/// <summary>A region capability this library does not decode; its body bytes are kept.</summary>
public sealed record VfioUnknownRegionCapability(ushort Id, ushort Version, ReadOnlyMemory<byte> Body) : VfioRegionCapability(Id, Version);
