namespace Vfio.Host.Reading;

/// <summary>
/// The PCI keys of a device's <c>uevent</c> (drivers/pci/pci-driver.c <c>pci_uevent</c>, and
/// DRIVER from the driver core): each field null when missing or malformed.
/// </summary>
internal sealed record Uevent(string? Driver, uint? Class, ushort? Vendor, ushort? Device, ushort? SubVendor, ushort? SubDevice, string? Modalias)
{
    public static Uevent? Parse(string? text)
    {
        if (text is null) return null;
        string? driver = null, modalias = null;
        uint? cls = null;
        ushort? v = null, d = null, sv = null, sd = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = line.IndexOf('=');
            if (eq <= 0) continue;
            var key = line.AsSpan(0, eq);
            var value = line[(eq + 1)..];
            switch (key)
            {
                case "DRIVER": driver = value.Length > 0 ? value : null; break;
                case "PCI_CLASS": cls = SysfsParse.Hex(value); break; // %04X of the 24-bit class
                case "PCI_ID": (v, d) = Pair(value); break;
                case "PCI_SUBSYS_ID": (sv, sd) = Pair(value); break;
                case "MODALIAS": modalias = value.StartsWith("pci:", StringComparison.Ordinal) ? value : null; break;
            }
        }
        return new Uevent(driver, cls, v, d, sv, sd, modalias);
    }

    private static (ushort?, ushort?) Pair(string value)
    {
        int colon = value.IndexOf(':');
        return colon < 0 ? (null, null) : (SysfsParse.Hex16(value[..colon]), SysfsParse.Hex16(value[(colon + 1)..]));
    }
}
