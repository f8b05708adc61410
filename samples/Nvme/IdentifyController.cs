using System.Buffers.Binary;
using System.Text;

namespace Vfio.Samples.Nvme;

/// <summary>
/// The fields of the Identify Controller data structure (CNS 01h, 4096 bytes) this driver uses:
/// PCI ids, serial number (bytes 23:04), model number (63:24), firmware revision (71:64), MDTS
/// (77), controller id (79:78), version (83:80), SQES/CQES (512, 513) and NN (519:516).
/// </summary>
internal sealed record IdentifyController(
    ushort VendorId,
    ushort SubsystemVendorId,
    string Serial,
    string Model,
    string Firmware,
    byte MaxDataTransferLog2,
    ushort ControllerId,
    uint Version,
    byte SqEntrySizes,
    byte CqEntrySizes,
    uint NamespaceCount)
{
    public const int Size = 4096;

    public static IdentifyController Parse(ReadOnlySpan<byte> data) => new(
        BinaryPrimitives.ReadUInt16LittleEndian(data[0..]),
        BinaryPrimitives.ReadUInt16LittleEndian(data[2..]),
        AsciiField(data[4..24]),
        AsciiField(data[24..64]),
        AsciiField(data[64..72]),
        data[77],
        BinaryPrimitives.ReadUInt16LittleEndian(data[78..]),
        BinaryPrimitives.ReadUInt32LittleEndian(data[80..]),
        data[512],
        data[513],
        BinaryPrimitives.ReadUInt32LittleEndian(data[516..]));

    /// <summary>
    /// An ASCII field padded with spaces: the kernel shows it in sysfs without the trailing spaces and
    /// NULs (drivers/nvme/host/core.c, nvme_init_subsystem and nvme_sysfs_show_model), so do the same.
    /// </summary>
    private static string AsciiField(ReadOnlySpan<byte> field) => Encoding.ASCII.GetString(field).TrimEnd(' ', '\0');

    /// <summary>MDTS as bytes for a given minimum page size; null when the controller sets no limit (MDTS 0).</summary>
    public int? MaxTransferBytes(int minPageSize) => MaxDataTransferLog2 == 0 ? null : minPageSize << MaxDataTransferLog2;

    /// <summary>SQES bits 3:0 is the required (minimum) entry size, bits 7:4 the maximum, both log2.</summary>
    public bool AcceptsEntrySizes(int sqLog2, int cqLog2) =>
        sqLog2 >= (SqEntrySizes & 0xf) && sqLog2 <= SqEntrySizes >> 4 && cqLog2 >= (CqEntrySizes & 0xf) && cqLog2 <= CqEntrySizes >> 4;
}
