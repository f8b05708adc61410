namespace Vfio.Samples.Nvme;

/// <summary>
/// The controller registers in BAR0 (NVM Express Base Specification, section 3.1 "Register
/// Definition"): offsets and the bit fields this driver uses. All little-endian.
/// </summary>
internal static class NvmeRegisters
{
    /// <summary>Controller Capabilities (64-bit): MQES, CQR, TO, DSTRD, CSS, MPSMIN/MPSMAX.</summary>
    public const ulong Cap = 0x00;
    /// <summary>Version (32-bit): major 31:16, minor 15:8, tertiary 7:0.</summary>
    public const ulong Vs = 0x08;
    /// <summary>Interrupt Mask Set (pin and MSI only; not used with MSI-X).</summary>
    public const ulong Intms = 0x0c;
    /// <summary>Controller Configuration (32-bit).</summary>
    public const ulong Cc = 0x14;
    /// <summary>Controller Status (32-bit).</summary>
    public const ulong Csts = 0x1c;
    /// <summary>Admin Queue Attributes: ASQS 11:0, ACQS 27:16, both 0's based.</summary>
    public const ulong Aqa = 0x24;
    /// <summary>Admin Submission Queue base address (64-bit, page aligned).</summary>
    public const ulong Asq = 0x28;
    /// <summary>Admin Completion Queue base address (64-bit, page aligned).</summary>
    public const ulong Acq = 0x30;
    /// <summary>The first doorbell: SQ y tail at 0x1000 + (2y) * stride, CQ y head at 0x1000 + (2y + 1) * stride, stride = 4 &lt;&lt; CAP.DSTRD.</summary>
    public const ulong DoorbellBase = 0x1000;

    /// <summary>CC.EN: enable.</summary>
    public const uint CcEnable = 1u << 0;
    /// <summary>CC.CSS shift (I/O command set selected; 0 = NVM).</summary>
    public const int CcCssShift = 4;
    /// <summary>CC.MPS shift (memory page size = 2 ^ (12 + MPS)).</summary>
    public const int CcMpsShift = 7;
    /// <summary>CC.AMS shift (arbitration; 0 = round robin).</summary>
    public const int CcAmsShift = 11;
    /// <summary>CC.SHN shift (shutdown notification: 01b normal).</summary>
    public const int CcShnShift = 14;
    public const uint CcShnMask = 3u << CcShnShift;
    public const uint CcShnNormal = 1u << CcShnShift;
    /// <summary>CC.IOSQES shift (I/O SQ entry size = 2 ^ n; 6 for 64 bytes).</summary>
    public const int CcIosqesShift = 16;
    /// <summary>CC.IOCQES shift (I/O CQ entry size = 2 ^ n; 4 for 16 bytes).</summary>
    public const int CcIocqesShift = 20;

    /// <summary>CSTS.RDY: ready.</summary>
    public const uint CstsReady = 1u << 0;
    /// <summary>CSTS.CFS: controller fatal status.</summary>
    public const uint CstsFatal = 1u << 1;
    /// <summary>CSTS.SHST shift: 00b normal operation, 01b shutdown processing, 10b shutdown complete.</summary>
    public const int CstsShstShift = 2;
    public const uint CstsShstMask = 3u << CstsShstShift;
    public const uint CstsShstComplete = 2u << CstsShstShift;

    /// <summary>log2 of the entry sizes this driver uses: 64-byte SQ entries, 16-byte CQ entries.</summary>
    public const int SqEntrySizeLog2 = 6, CqEntrySizeLog2 = 4;

    /// <summary>The memory page size this driver configures (CC.MPS = 0): 4 KiB, the PRP page size.</summary>
    public const int PageSize = 4096;
}
