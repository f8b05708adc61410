using System.Buffers.Binary;
using System.Globalization;

namespace Vfio.Samples.Nvme;

/// <summary>
/// The pattern the sample writes, recognisable by anyone who reads the disk afterwards (the
/// real-kernel test links this file and checks what the kernel's nvme driver reads): every block
/// starts with the magic <c>VFIONVME</c>, the run id and the block's own LBA (both 64-bit
/// little-endian) and the block size (32-bit), then bytes from a generator seeded with the run id and
/// the LBA, so a block at the wrong place, from another run or torn, does not match.
/// </summary>
internal static class BlockPattern
{
    public static ReadOnlySpan<byte> Magic => "VFIONVME"u8;
    public const int HeaderSize = 28;

    /// <summary>Fills one block for (run id, LBA).</summary>
    public static void Fill(Span<byte> block, ulong runId, ulong lba)
    {
        Magic.CopyTo(block);
        BinaryPrimitives.WriteUInt64LittleEndian(block[8..], runId);
        BinaryPrimitives.WriteUInt64LittleEndian(block[16..], lba);
        BinaryPrimitives.WriteUInt32LittleEndian(block[24..], (uint)block.Length);
        ulong state = runId ^ (lba * 0x9e3779b97f4a7c15UL);
        var rest = block[HeaderSize..];
        for (int i = 0; i < rest.Length; i += 8)
        {
            ulong value = Next(ref state);
            for (int b = 0; b < 8 && i + b < rest.Length; b++) rest[i + b] = (byte)(value >> (8 * b));
        }
    }

    /// <summary>Fills consecutive blocks from <paramref name="firstLba"/>.</summary>
    public static void Fill(Span<byte> blocks, int blockSize, ulong runId, ulong firstLba)
    {
        for (int i = 0; i * blockSize < blocks.Length; i++) Fill(blocks.Slice(i * blockSize, blockSize), runId, firstLba + (ulong)i);
    }

    /// <summary>Null when the block holds the pattern for (run id, LBA), else what differs.</summary>
    public static string? Check(ReadOnlySpan<byte> block, ulong runId, ulong lba)
    {
        var inv = CultureInfo.InvariantCulture;
        if (!block.StartsWith(Magic)) return string.Create(inv, $"LBA {lba}: no VFIONVME magic (starts {Convert.ToHexString(block[..Math.Min(16, block.Length)])})");
        ulong seenRun = BinaryPrimitives.ReadUInt64LittleEndian(block[8..]);
        ulong seenLba = BinaryPrimitives.ReadUInt64LittleEndian(block[16..]);
        if (seenRun != runId) return string.Create(inv, $"LBA {lba}: run id {seenRun:x16}, expected {runId:x16}");
        if (seenLba != lba) return string.Create(inv, $"LBA {lba}: holds the block written for LBA {seenLba}");
        Span<byte> expected = block.Length <= 4096 ? stackalloc byte[block.Length] : new byte[block.Length];
        Fill(expected, runId, lba);
        int at = block.CommonPrefixLength(expected);
        return at == block.Length ? null : string.Create(inv, $"LBA {lba}: byte {at} is 0x{block[at]:x2}, expected 0x{expected[at]:x2}");
    }

    /// <summary>splitmix64: small, fast, and the same everywhere.</summary>
    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9e3779b97f4a7c15UL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }
}
