namespace Vfio.Userspace;

/// <summary>A capability found in the standard list (config offset 0x34 chain).</summary>
/// <param name="Id">Capability id (byte 0).</param>
/// <param name="Offset">Its offset in configuration space.</param>
public readonly record struct PciCapability(PciCapabilityId Id, int Offset);
