using Vfio.Host.Model;

namespace Vfio.Policy.Vm;

/// <summary>
/// What a VM's 64-bit MMIO window must hold for the devices it receives (kernel-facts section 8):
/// every 64-bit memory BAR, each at an address aligned to its size.
/// </summary>
public static class MmioWindow
{
    /// <summary>QEMU q35's default 64-bit PCI hole (<c>pci-hole64-size</c>): 32 GiB.</summary>
    public const ulong Q35DefaultHole64 = 32UL << 30;

    /// <summary>Sum of a function's 64-bit memory BARs (not the ROM, not VF BARs).</summary>
    public static ulong Sum64(PciDevice d) =>
        d.Bars.Where(b => b.Slot == BarSlot.Bar && b.Is64Bit && !b.IsIo).Aggregate(0UL, (s, b) => s + b.Size);

    /// <summary>
    /// The space the 64-bit BARs of <paramref name="devices"/> take when each sits at an address
    /// aligned to its size: placed largest first, power-of-two sizes pack without gaps, so this is
    /// their sum (a size that is not a power of two is rounded up first).
    /// </summary>
    public static ulong Packed(IEnumerable<PciDevice> devices) =>
        devices.SelectMany(d => d.Bars).Where(b => b.Slot == BarSlot.Bar && b.Is64Bit && !b.IsIo)
            .Select(b => RoundUpPowerOfTwo(b.Size)).OrderByDescending(s => s).Aggregate(0UL, (s, b) => s + b);

    /// <summary>True when the 64-bit BARs need more than QEMU q35's default window gives.</summary>
    public static bool ExceedsDefault(IEnumerable<PciDevice> devices) => Packed(devices) > Q35DefaultHole64;

    public static ulong RoundUpPowerOfTwo(ulong v) => v <= 1 ? 1 : 1UL << (64 - System.Numerics.BitOperations.LeadingZeroCount(v - 1));

    /// <summary>"256 GiB", "16 MiB", "4 KiB", "512 B": the largest binary unit, with up to two decimals where the size is not a whole multiple ("256.05 GiB").</summary>
    public static string Human(ulong bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        int u = 0;
        double v = bytes;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{v:0.##} {units[u]}");
    }
}
