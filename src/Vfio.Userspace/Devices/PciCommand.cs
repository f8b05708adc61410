namespace Vfio.Userspace;

/// <summary>Bits of the PCI command register (config offset 4).</summary>
[Flags]
public enum PciCommand : ushort
{
    /// <summary>No bits.</summary>
    None = 0,
    /// <summary>Respond to I/O space accesses.</summary>
    IoSpace = 1 << 0,
    /// <summary>Respond to memory space accesses.</summary>
    MemorySpace = 1 << 1,
    /// <summary>Bus master: the device may issue DMA (needed before any DMA).</summary>
    BusMaster = 1 << 2,
    /// <summary>Parity error response.</summary>
    ParityErrorResponse = 1 << 6,
    /// <summary>SERR# enable.</summary>
    Serr = 1 << 8,
    /// <summary>INTx disable: the device must not assert INTx.</summary>
    InterruptDisable = 1 << 10,
}
