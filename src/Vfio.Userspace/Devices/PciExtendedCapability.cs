namespace Vfio.Userspace;

/// <summary>A capability found in the PCI Express extended list (from config offset 0x100).</summary>
/// <param name="Id">Capability id (bits 15:0 of the header).</param>
/// <param name="Version">Capability version (bits 19:16).</param>
/// <param name="Offset">Its offset in configuration space.</param>
public readonly record struct PciExtendedCapability(PciExtendedCapabilityId Id, byte Version, int Offset);
