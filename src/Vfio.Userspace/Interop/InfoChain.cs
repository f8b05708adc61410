using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>
/// Walks the capability chain of a VFIO INFO buffer (struct vfio_info_cap_header; offsets are from
/// the start of the buffer, 0 ends the chain). Defensive: a capability must lie after the fixed
/// struct and inside the buffer, and a revisited offset ends the walk, so a bad chain cannot loop.
/// </summary>
internal static class InfoChain
{
    public readonly record struct Entry(ushort Id, ushort Version, int Offset, int End);

    public static List<Entry> Walk(ReadOnlySpan<byte> buffer, uint first, int fixedSize)
    {
        var result = new List<Entry>();
        var seen = new HashSet<uint>();
        int headerSize = Marshal.SizeOf<vfio_info_cap_header>();
        uint offset = first;
        while (offset != 0)
        {
            if (offset < fixedSize || offset > buffer.Length - headerSize || !seen.Add(offset)) break;
            var header = MemoryMarshal.Read<vfio_info_cap_header>(buffer[(int)offset..]);
            uint next = header.next;
            // A capability's body runs to the next one when that follows it, else to the end of the buffer.
            int end = next > offset && next <= buffer.Length ? (int)next : buffer.Length;
            result.Add(new Entry(header.id, header.version, (int)offset, end));
            offset = next;
        }
        return result;
    }

    /// <summary>Calls an INFO ioctl, growing the buffer to the argsz the kernel asks for until its chain fits.</summary>
    /// <returns>0 and the buffer on success, or -errno.</returns>
    public static unsafe int Query<T>(SafeHandle fd, nuint request, T initial, out byte[] buffer) where T : unmanaged
    {
        int size = sizeof(T);
        buffer = new byte[size];
        MemoryMarshal.Write(buffer, in initial);
        // argsz is the first field of every VFIO INFO struct.
        MemoryMarshal.Write(buffer, (uint)size);
        for (int attempt = 0; attempt < 8; attempt++)
        {
            int r;
            fixed (byte* p = buffer) r = Ioctl.Call(fd, request, p);
            if (r < 0) return r;
            uint wanted = MemoryMarshal.Read<uint>(buffer);
            if (wanted <= buffer.Length) return 0;
            // The kernel reports the size it needs in argsz; ask again with that much room.
            var bigger = new byte[wanted];
            MemoryMarshal.Write(bigger, in initial);
            MemoryMarshal.Write(bigger, wanted);
            buffer = bigger;
        }
        return 0;
    }
}
