using System.Text;

namespace Vfio.Lab;

/// <summary>
/// Writes a cpio archive in the "newc" format the kernel unpacks as an
/// initramfs (Documentation/driver-api/early-userspace/buffer-format.rst):
/// a 110-byte ASCII header per entry, the NUL-terminated name, data, each
/// padded to 4 bytes, ending with a <c>TRAILER!!!</c> entry.
/// </summary>
internal sealed class CpioWriter : IDisposable
{
    private const int DirectoryMode = 0x4000;   // S_IFDIR
    private const int RegularMode = 0x8000;     // S_IFREG
    private const int SymlinkMode = 0xA000;     // S_IFLNK
    private const int CharDeviceMode = 0x2000;  // S_IFCHR

    private readonly Stream _out;
    private int _inode = 1;
    private long _position;

    public CpioWriter(Stream output) => _out = output;

    public void AddDirectory(string name, int permissions = 0x1ED /* 0755 */) =>
        WriteEntry(name, DirectoryMode | permissions, nlink: 2, data: [], 0, 0);

    public void AddFile(string name, byte[] data, int permissions) =>
        WriteEntry(name, RegularMode | permissions, nlink: 1, data, 0, 0);

    public void AddSymlink(string name, string target) =>
        WriteEntry(name, SymlinkMode | 0x1FF, nlink: 1, Encoding.UTF8.GetBytes(target), 0, 0);

    public void AddCharDevice(string name, int permissions, int major, int minor) =>
        WriteEntry(name, CharDeviceMode | permissions, nlink: 1, data: [], major, minor);

    private void WriteEntry(string name, int mode, int nlink, byte[] data, int rdevMajor, int rdevMinor)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var header = new StringBuilder(110);
        header.Append("070701");
        foreach (var field in new long[]
                 {
                     name == "TRAILER!!!" ? 0 : _inode++, mode, 0 /* uid */, 0 /* gid */, nlink,
                     0 /* mtime: fixed, so the archive is reproducible */, data.Length,
                     0, 0 /* dev major, minor */, rdevMajor, rdevMinor, nameBytes.Length + 1, 0 /* check */,
                 })
        {
            header.Append(field.ToString("X8", System.Globalization.CultureInfo.InvariantCulture));
        }
        Write(Encoding.ASCII.GetBytes(header.ToString()));
        Write(nameBytes);
        Write([0]);
        Pad();
        Write(data);
        Pad();
    }

    private void Write(byte[] bytes)
    {
        _out.Write(bytes);
        _position += bytes.Length;
    }

    private void Pad()
    {
        int pad = (int)((4 - _position % 4) % 4);
        if (pad > 0) Write(new byte[pad]);
    }

    public void Dispose()
    {
        WriteEntry("TRAILER!!!", 0, nlink: 1, data: [], 0, 0);
        _out.Flush();
    }
}
