namespace Vfio.Userspace;

/// <summary>What VFIO_DEVICE_GET_IRQ_INFO reports for one IRQ index.</summary>
/// <param name="Index">The IRQ index.</param>
/// <param name="Flags">How it is signalled and masked.</param>
/// <param name="Count">Vectors available (0: the device has none of this kind).</param>
public sealed record VfioIrqInfo(VfioIrqIndex Index, VfioIrqFlags Flags, int Count);
