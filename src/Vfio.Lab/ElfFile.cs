namespace Vfio.Lab;

/// <summary>Just enough ELF reading to tell a static executable from a dynamic one.</summary>
internal static class ElfFile
{
    private const uint PtInterp = 3;

    /// <summary>True when <paramref name="path"/> is a 64-bit little-endian ELF file without a PT_INTERP program header.</summary>
    public static bool IsStatic64(string path)
    {
        try
        {
            using var f = File.OpenRead(path);
            Span<byte> header = stackalloc byte[64];
            if (f.Read(header) != 64) return false;
            if (header[0] != 0x7f || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F') return false;
            if (header[4] != 2 || header[5] != 1) return false; // ELFCLASS64, ELFDATA2LSB
            long phoff = BitConverter.ToInt64(header[0x20..]);
            int phentsize = BitConverter.ToUInt16(header[0x36..]);
            int phnum = BitConverter.ToUInt16(header[0x38..]);
            if (phentsize < 4 || phnum == 0) return false;
            var ph = new byte[phentsize];
            for (int i = 0; i < phnum; i++)
            {
                f.Position = phoff + (long)i * phentsize;
                if (f.Read(ph) != phentsize) return false;
                if (BitConverter.ToUInt32(ph, 0) == PtInterp) return false;
            }
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
