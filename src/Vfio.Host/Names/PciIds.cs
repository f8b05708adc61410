using System.Text;

namespace Vfio.Host.Names;

/// <summary>
/// Vendor, device and class names from the <c>pci.ids</c> database (Debian's <c>pci.ids</c>
/// package, or hwdata's copy), as lspci shows them. Loading keeps only the names of the ids
/// asked for, so a host of thousands of functions pays one scan of the file and little memory.
/// </summary>
public sealed class PciIds
{
    /// <summary>Where the database is looked for, in order (after <c>$VFIOCTL_PCI_IDS</c>).</summary>
    public static readonly string[] SearchPaths = ["/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids", "/usr/share/pci.ids"];

    private readonly Dictionary<ushort, string> _vendors = [];
    private readonly Dictionary<uint, string> _devices = [];
    private readonly Dictionary<uint, string> _classes = []; // (base<<8|sub) and base<<8|0xff... see ClassName
    private readonly Dictionary<ushort, string> _baseClasses = [];

    /// <summary>The file the names came from; null when none was found (names are then numeric only).</summary>
    public string? Source { get; private init; }

    public static PciIds Empty { get; } = new();

    /// <summary>Finds the database and loads names for the given (vendor, device) pairs.</summary>
    public static PciIds Load(IEnumerable<(ushort Vendor, ushort Device)> wanted, string? path = null)
    {
        path ??= Locate();
        if (path is null) return Empty;
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Empty;
        }
        var ids = new PciIds { Source = path };
        ids.Parse(data, wanted);
        return ids;
    }

    public static string? Locate()
    {
        var env = Environment.GetEnvironmentVariable("VFIOCTL_PCI_IDS");
        if (!string.IsNullOrEmpty(env)) return File.Exists(env) ? env : null;
        return SearchPaths.FirstOrDefault(File.Exists);
    }

    public string? VendorName(ushort vendor) => _vendors.GetValueOrDefault(vendor);

    public string? DeviceName(ushort vendor, ushort device) => _devices.GetValueOrDefault((uint)vendor << 16 | device);

    /// <summary>The subclass name ("Ethernet controller"), else the base class name, else null.</summary>
    public string? ClassName(PciClass cls) =>
        _classes.GetValueOrDefault((uint)cls.BaseClass << 8 | cls.SubClass) ?? _baseClasses.GetValueOrDefault(cls.BaseClass);

    private void Parse(ReadOnlySpan<byte> data, IEnumerable<(ushort Vendor, ushort Device)> wanted)
    {
        var wantVendors = new HashSet<ushort>();
        var wantDevices = new HashSet<uint>();
        foreach (var (v, d) in wanted)
        {
            wantVendors.Add(v);
            wantDevices.Add((uint)v << 16 | d);
        }

        bool inClasses = false;
        int vendor = -1;      // current vendor when it is wanted, else -1
        int baseClass = -1;
        while (!data.IsEmpty)
        {
            int nl = data.IndexOf((byte)'\n');
            var line = nl < 0 ? data : data[..nl];
            data = nl < 0 ? default : data[(nl + 1)..];
            if (line.IsEmpty || line[0] == (byte)'#') continue;
            if (line[^1] == (byte)'\r') line = line[..^1];

            if (line[0] != (byte)'\t')
            {
                // Top level: "vvvv  Vendor" or "C cc  Class name" (the class section closes the file).
                if (line.Length > 2 && line[0] == (byte)'C' && line[1] == (byte)' ')
                {
                    inClasses = true;
                    vendor = -1;
                    baseClass = TryHex(line.Slice(2, 2), out var bc) ? bc : -1;
                    if (baseClass >= 0 && line.Length > 6) _baseClasses[(ushort)baseClass] = Text(line[6..]);
                    continue;
                }
                inClasses = false;
                baseClass = -1;
                vendor = line.Length > 6 && TryHex(line[..4], out var v) && wantVendors.Contains((ushort)v) ? v : -1;
                if (vendor >= 0) _vendors[(ushort)vendor] = Text(line[6..]);
                continue;
            }
            if (line.Length > 1 && line[1] == (byte)'\t') continue; // subsystem or prog-if line
            if (inClasses)
            {
                if (baseClass >= 0 && line.Length > 5 && TryHex(line.Slice(1, 2), out var sc))
                    _classes[(uint)baseClass << 8 | (uint)sc] = Text(line[5..]);
            }
            else if (vendor >= 0 && line.Length > 7 && TryHex(line.Slice(1, 4), out var dev))
            {
                uint key = (uint)vendor << 16 | (uint)dev;
                if (wantDevices.Contains(key)) _devices[key] = Text(line[7..]);
            }
        }
    }

    private static string Text(ReadOnlySpan<byte> s) => Encoding.UTF8.GetString(s).Trim();

    private static bool TryHex(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        if (s.IsEmpty) return false;
        foreach (var b in s)
        {
            int d = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                _ => -1,
            };
            if (d < 0) return false;
            value = value << 4 | d;
        }
        return true;
    }
}
