using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Vfio;

/// <summary>
/// A PCI function address: domain (segment), bus, device and function, written
/// <c>DDDD:BB:DD.F</c> as the kernel names devices under <c>/sys/bus/pci/devices</c>.
/// Domains can have more than four hex digits (a VMD domain is <c>10000</c>).
/// </summary>
public readonly record struct PciAddress(uint Domain, byte Bus, byte Device, byte Function) : IComparable<PciAddress>
{
    /// <summary>The forms accepted by <see cref="Parse"/>, for error messages.</summary>
    public const string ExpectedForm = "DDDD:BB:DD.F (domain of 4 or more hex digits) or BB:DD.F, e.g. 0000:00:1f.2 or 00:1f.2";

    /// <summary>Parses <c>DDDD:BB:DD.F</c> or <c>BB:DD.F</c> (domain 0); device is 0-1f, function 0-7.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out PciAddress address)
    {
        address = default;
        if (string.IsNullOrEmpty(text)) return false;
        var s = text.AsSpan().Trim();
        uint domain = 0;
        int firstColon = s.IndexOf(':');
        if (firstColon < 0) return false;
        var rest = s;
        int lastColon = s.LastIndexOf(':');
        if (firstColon != lastColon)
        {
            var d = s[..firstColon];
            // A domain is 4 or more hex digits (the kernel prints %04x); VMD domains use 5.
            if (d.Length < 4 || d.Length > 8 || !IsHex(d)) return false;
            domain = uint.Parse(d, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            rest = s[(firstColon + 1)..];
            if (rest.IndexOf(':') != rest.LastIndexOf(':')) return false;
        }
        int colon = rest.IndexOf(':');
        int dot = rest.IndexOf('.');
        if (colon != 2 || dot != 5 || rest.Length != 7) return false;
        var bus = rest[..2];
        var dev = rest[3..5];
        var fn = rest[6..7];
        if (!IsHex(bus) || !IsHex(dev) || !IsHex(fn)) return false;
        byte b = byte.Parse(bus, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        byte dv = byte.Parse(dev, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        byte f = byte.Parse(fn, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        if (dv > 0x1f || f > 7) return false;
        address = new PciAddress(domain, b, dv, f);
        return true;
    }

    /// <summary>Parses an address or throws <see cref="FormatException"/> naming the expected form.</summary>
    public static PciAddress Parse(string text) =>
        TryParse(text, out var a) ? a : throw new FormatException($"'{text}' is not a PCI address; expected {ExpectedForm}.");

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
            if (!char.IsAsciiHexDigit(c)) return false;
        return s.Length > 0;
    }

    /// <summary>The kernel's spelling: lower-case hex, domain padded to 4 digits.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Domain:x4}:{Bus:x2}:{Device:x2}.{Function:x1}");

    /// <summary>The address as one number in bus order (domain, bus, device, function).</summary>
    private ulong Key => ((ulong)Domain << 24) | ((uint)Bus << 16) | ((uint)Device << 8) | Function;

    /// <inheritdoc />
    public bool Equals(PciAddress other) => Key == other.Key;

    /// <inheritdoc />
    public override int GetHashCode() => Key.GetHashCode();

    /// <summary>
    /// Orders addresses as the kernel lists them. Sort with this delegate rather than the default
    /// comparer: the default one is built by reflection at run time, which costs a JIT compilation
    /// in every short-lived command (see bench/README.md, "Where vfioctl's time goes").
    /// </summary>
    public static readonly Comparison<PciAddress> Order = static (a, b) => a.Key.CompareTo(b.Key);

    /// <inheritdoc />
    public int CompareTo(PciAddress other)
    {
        int c = Domain.CompareTo(other.Domain);
        if (c != 0) return c;
        c = Bus.CompareTo(other.Bus);
        if (c != 0) return c;
        c = Device.CompareTo(other.Device);
        return c != 0 ? c : Function.CompareTo(other.Function);
    }
}
