using System.Buffers.Binary;

namespace Vfio.Samples.Nvme;

/// <summary>
/// The fields of the Identify Namespace data structure (CNS 00h) this driver uses: NSZE (bytes
/// 7:0, in logical blocks), NCAP (15:8), NLBAF (25, 0's based), FLBAS (26: format index in bits 3:0,
/// bits 6:5 extend it), and the chosen LBA format (at 128 + 4 * index: metadata size 15:0, LBADS
/// 23:16 as log2 of the block size).
/// </summary>
internal sealed record IdentifyNamespace(uint NamespaceId, ulong SizeInBlocks, ulong CapacityInBlocks, int FormatIndex, int BlockSize, int MetadataSize)
{
    public static IdentifyNamespace Parse(uint nsid, ReadOnlySpan<byte> data)
    {
        byte flbas = data[26];
        int index = (flbas & 0xf) | ((flbas >> 5) & 0x3) << 4;
        uint format = BinaryPrimitives.ReadUInt32LittleEndian(data[(128 + 4 * index)..]);
        int lbads = (int)((format >> 16) & 0xff);
        return new IdentifyNamespace(
            nsid,
            BinaryPrimitives.ReadUInt64LittleEndian(data[0..]),
            BinaryPrimitives.ReadUInt64LittleEndian(data[8..]),
            index,
            lbads is >= 9 and < 31 ? 1 << lbads : 0,
            (int)(format & 0xffff));
    }

    public ulong SizeInBytes => SizeInBlocks * (ulong)BlockSize;
}
