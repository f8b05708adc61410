using System.Globalization;

namespace Vfio.Host.Reading;

/// <summary>Parsers for the value formats sysfs uses; each returns null on anything odd.</summary>
internal static class SysfsParse
{
    /// <summary><c>0x8086</c> or bare <c>8086</c>.</summary>
    public static uint? Hex(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var s = text.AsSpan().Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) s = s[2..];
        return uint.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    public static ushort? Hex16(string? text) => Hex(text) is { } v && v <= 0xffff ? (ushort)v : null;

    public static byte? Hex8(string? text) => Hex(text) is { } v && v <= 0xff ? (byte)v : null;

    public static int? Int(string? text) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null;

    /// <summary>The last component of a sysfs path that is a PCI address before <paramref name="self"/>.</summary>
    public static PciAddress? ParentFromDevicePath(string? devicePath, PciAddress self)
    {
        if (devicePath is null) return null;
        PciAddress? parent = null;
        foreach (var part in devicePath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!PciAddress.TryParse(part, out var a) || part.Length < 12) continue;
            if (a == self) return parent;
            parent = a;
        }
        return null;
    }

    /// <summary>The last PCI address in a sysfs path: the PCI device a class device (block, net, drm) lives on.</summary>
    public static PciAddress? OwningDevice(string? path)
    {
        if (path is null) return null;
        PciAddress? owner = null;
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            if (part.Length >= 12 && PciAddress.TryParse(part, out var a)) owner = a;
        return owner;
    }
}
