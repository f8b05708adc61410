namespace Vfio.Samples.Edu;

/// <summary>
/// QEMU's edu device (hw/misc/edu.c; kernel-facts section 6): PCI 1234:11e8, BAR0 1 MiB of MMIO
/// registers, a 4 KiB DMA buffer at device address 0x40000, a 28-bit DMA mask.
/// </summary>
internal static class EduRegisters
{
    public const ushort VendorId = 0x1234;
    public const ushort DeviceId = 0x11e8;
    public const ulong Bar0Size = 1 << 20;

    /// <summary>Identification, 0xRRrr00ed (major, minor, 0x00, 0xed).</summary>
    public const ulong Identification = 0x00;
    /// <summary>Liveness check: reads back the bitwise inverse of what was written.</summary>
    public const ulong Liveness = 0x04;
    /// <summary>Factorial: write n, read n! when status bit 0 clears.</summary>
    public const ulong Factorial = 0x08;
    /// <summary>Status: bit 0 computing, bit 7 raise an interrupt when the factorial is done.</summary>
    public const ulong Status = 0x20;
    /// <summary>Interrupt status (the raised bits); read-only.</summary>
    public const ulong InterruptStatus = 0x24;
    /// <summary>Raise an interrupt with these status bits.</summary>
    public const ulong InterruptRaise = 0x60;
    /// <summary>Acknowledge: clears these interrupt status bits (and lowers INTx when none are left).</summary>
    public const ulong InterruptAck = 0x64;
    /// <summary>DMA source address (64-bit).</summary>
    public const ulong DmaSource = 0x80;
    /// <summary>DMA destination address (64-bit).</summary>
    public const ulong DmaDestination = 0x88;
    /// <summary>DMA byte count (64-bit).</summary>
    public const ulong DmaCount = 0x90;
    /// <summary>DMA command (64-bit): bit 0 start (clears when done), bit 1 device to RAM, bit 2 interrupt when done.</summary>
    public const ulong DmaCommand = 0x98;

    public const uint StatusComputing = 0x01;
    public const uint StatusIrqOnFactorial = 0x80;
    public const uint FactorialIrq = 0x001;
    public const uint DmaIrq = 0x100;
    public const ulong DmaStart = 0x1;
    public const ulong DmaToRam = 0x2;
    public const ulong DmaIrqWhenDone = 0x4;

    /// <summary>Where the device's own DMA buffer sits in its address space, and its size.</summary>
    public const ulong DeviceBuffer = 0x40000;
    public const int DeviceBufferSize = 4096;

    /// <summary>
    /// Bytes per DMA transfer. QEMU 7.2's edu_check_range wants the transfer's end strictly below
    /// 0x41000, and a range it refuses is a hw_error that aborts the whole VM: a transfer of the
    /// full 4096 bytes kills QEMU (seen), so transfers stay below that.
    /// </summary>
    public const int TransferSize = 2048;

    /// <summary>The highest address edu can DMA to: 28 bits.</summary>
    public const ulong DmaMask = (1UL << 28) - 1;
}
