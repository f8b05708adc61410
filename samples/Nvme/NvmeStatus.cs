using System.Globalization;

namespace Vfio.Samples.Nvme;

/// <summary>
/// The status field of a completion (NVMe base specification, "Status Field Definition"): status
/// code 7:0, status code type 10:8, command retry delay 12:11, more 13, do not retry 14.
/// </summary>
internal readonly record struct NvmeStatus(ushort Raw)
{
    public byte Code => (byte)(Raw & 0xff);

    /// <summary>0 generic, 1 command specific, 2 media and data integrity, 3 path related, 7 vendor specific.</summary>
    public int CodeType => (Raw >> 8) & 0x7;

    public bool DoNotRetry => (Raw & (1 << 14)) != 0;

    public bool IsSuccess => Code == 0 && CodeType == 0;

    /// <summary>Generic: LBA Out of Range (an LBA beyond the namespace's size).</summary>
    public static readonly NvmeStatus LbaOutOfRange = new(0x80);

    public bool SameCodeAs(NvmeStatus other) => Code == other.Code && CodeType == other.CodeType;

    /// <summary>The specification's name for the common codes, else the numbers.</summary>
    public string Name => (CodeType, Code) switch
    {
        (0, 0x00) => "Successful Completion",
        (0, 0x01) => "Invalid Command Opcode",
        (0, 0x02) => "Invalid Field in Command",
        (0, 0x03) => "Command ID Conflict",
        (0, 0x04) => "Data Transfer Error",
        (0, 0x06) => "Internal Error",
        (0, 0x07) => "Command Abort Requested",
        (0, 0x0b) => "Invalid Namespace or Format",
        (0, 0x0c) => "Command Sequence Error",
        (0, 0x13) => "PRP Offset Invalid",
        (0, 0x80) => "LBA Out of Range",
        (0, 0x81) => "Capacity Exceeded",
        (0, 0x82) => "Namespace Not Ready",
        (1, 0x00) => "Completion Queue Invalid",
        (1, 0x01) => "Invalid Queue Identifier",
        (1, 0x02) => "Invalid Queue Size",
        (1, 0x08) => "Invalid Interrupt Vector",
        (2, 0x80) => "Write Fault",
        (2, 0x81) => "Unrecovered Read Error",
        _ => "status",
    };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} (SCT {CodeType}, SC 0x{Code:x2}{(DoNotRetry ? ", DNR" : "")})");
}
