using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using Vfio.Host.Model;

namespace Vfio.Host.Reading;

/// <summary>
/// Reads a function's BARs from its <c>resource</c> file and the Resizable BAR extended capability
/// from its config space, read only, never written (kernel-facts section 8).
/// </summary>
public static class BarReader
{
    private const ulong IoResourceIo = 0x100;
    private const ulong IoResourceMem = 0x200;
    private const ulong IoResourcePrefetch = 0x2000;
    private const ulong IoResourceMem64 = 0x100000;
    private const ulong IoResourceUnset = 0x20000000;

    /// <summary>PCIe extended capability id of Resizable BAR.</summary>
    public const ushort RebarCapabilityId = 0x0015;

    /// <summary>
    /// The BARs of the function at <paramref name="address"/> (the sysfs directory
    /// <c>/sys/bus/pci/devices/ADDR</c>), with the Resizable BAR sizes where config space has them.
    /// </summary>
    public static ImmutableArray<PciBar> Read(Sysfs.HostFiles files, PciAddress address) =>
        Read(files, $"{HostReader.PciDevicesDir}/{address}");

    /// <summary>The BARs of the function whose sysfs directory is <paramref name="dir"/>.</summary>
    public static ImmutableArray<PciBar> Read(Sysfs.HostFiles files, string dir)
    {
        var bars = Parse(files.ReadAllText($"{dir}/resource"));
        if (bars.Any(b => b.Slot == BarSlot.Bar) && files.ReadBytes($"{dir}/config", 4096) is { Length: > 256 } config)
            bars = WithResizable(bars, config);
        return bars;
    }

    /// <summary>
    /// The resources of a <c>resource</c> file: lines 0-5 BARs, 6 the ROM, 7-12 a PF's VF BARs
    /// (later lines, a bridge's windows, are not the device's own). Empty entries are left out; a
    /// line that is not three hex numbers is skipped.
    /// </summary>
    public static ImmutableArray<PciBar> Parse(string? resource)
    {
        if (resource is null) return [];
        var bars = ImmutableArray.CreateBuilder<PciBar>();
        var lines = resource.Split('\n');
        for (int i = 0; i < lines.Length && i <= 12; i++)
        {
            var parts = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 3 || !Hex(parts[0], out ulong start) || !Hex(parts[1], out ulong end) || !Hex(parts[2], out ulong flags)) continue;
            if ((flags & (IoResourceIo | IoResourceMem)) == 0 || end == 0 || end < start) continue;
            bars.Add(new PciBar
            {
                Slot = i < 6 ? BarSlot.Bar : i == 6 ? BarSlot.Rom : BarSlot.VfBar,
                Index = i < 6 ? i : i == 6 ? 6 : i - 7,
                Start = start,
                Size = end - start + 1,
                IsIo = (flags & IoResourceIo) != 0,
                Is64Bit = (flags & IoResourceMem64) != 0,
                Prefetchable = (flags & IoResourcePrefetch) != 0,
                Unassigned = (flags & IoResourceUnset) != 0,
            });
        }
        return bars.ToImmutable();
    }

    /// <summary>
    /// <paramref name="bars"/> with the Resizable BAR capability of <paramref name="config"/> applied:
    /// per BAR it names, the supported sizes (capability register bits 31:4, bit n = 2^n MiB) and
    /// the current size (control register bits 13:8, 2^n MiB). Unchanged without the capability.
    /// </summary>
    public static ImmutableArray<PciBar> WithResizable(ImmutableArray<PciBar> bars, ReadOnlySpan<byte> config)
    {
        int cap = ExtendedCapabilities.Find(config, RebarCapabilityId);
        if (cap < 0 || cap + 16 > config.Length) return bars;
        uint firstControl = BinaryPrimitives.ReadUInt32LittleEndian(config[(cap + 8)..]);
        int count = (int)((firstControl >> 5) & 0x7);
        if (count is 0 or > 6) return bars;
        var result = bars.ToList();
        for (int n = 0; n < count && cap + 12 + 8 * n <= config.Length; n++)
        {
            uint capability = BinaryPrimitives.ReadUInt32LittleEndian(config[(cap + 4 + 8 * n)..]);
            uint control = BinaryPrimitives.ReadUInt32LittleEndian(config[(cap + 8 + 8 * n)..]);
            int index = (int)(control & 0x7);
            var sizes = ImmutableArray.CreateBuilder<ulong>();
            for (int bit = 4; bit < 32; bit++)
                if ((capability & (1u << bit)) != 0) sizes.Add((1UL << 20) << (bit - 4));
            ulong current = (1UL << 20) << (int)((control >> 8) & 0x3f);
            int at = result.FindIndex(b => b.Slot == BarSlot.Bar && b.Index == index);
            if (at >= 0) result[at] = result[at] with { ResizableSizes = sizes.ToImmutable(), ResizableCurrent = current };
        }
        return [.. result];
    }

    private static bool Hex(string text, out ulong value) =>
        ulong.TryParse(text.StartsWith("0x", StringComparison.Ordinal) ? text.AsSpan(2) : text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
}
