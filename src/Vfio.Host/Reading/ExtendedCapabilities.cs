using System.Buffers.Binary;

namespace Vfio.Host.Reading;

/// <summary>The PCIe extended capability list in config space (kernel-facts section 7).</summary>
public static class ExtendedCapabilities
{
    /// <summary>The offset of the first extended capability with <paramref name="id"/>, or -1 (absent, config space short, or the list malformed).</summary>
    public static int Find(ReadOnlySpan<byte> config, ushort id)
    {
        int offset = 0x100;
        for (int hops = 0; hops < 512 && offset >= 0x100 && offset + 4 <= config.Length; hops++)
        {
            uint header = BinaryPrimitives.ReadUInt32LittleEndian(config[offset..]);
            if (header is 0 or 0xffffffff) return -1;
            if ((header & 0xffff) == id) return offset;
            int next = (int)(header >> 20) & 0xffc;
            if (next == 0) return -1;
            offset = next;
        }
        return -1;
    }
}
