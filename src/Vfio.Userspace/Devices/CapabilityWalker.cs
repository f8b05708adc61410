using System.Globalization;

namespace Vfio.Userspace;

/// <summary>
/// Walks PCI capability lists the way the kernel does (drivers/pci/pci.c __pci_find_next_cap_ttl and
/// pci_find_next_ext_capability), bounded so that a loop or a wild pointer ends the walk with a
/// stated problem instead of hanging or reading outside configuration space.
/// </summary>
internal static class CapabilityWalker
{
    private const int StatusCapList = 0x10;
    private const int CapabilityPointer = 0x34;
    private const int CardBusCapabilityPointer = 0x14;
    private const int ExtendedStart = 0x100;

    public static PciCapabilityChain<PciCapability> Standard(ConfigSpace config)
    {
        var found = new List<PciCapability>();
        if (config.Length < 0x40 || (config.Status & StatusCapList) == 0) return new(found, null);
        int pointerOffset = config.HeaderType == 2 ? CardBusCapabilityPointer : CapabilityPointer;
        int from = pointerOffset;
        int pos = config.Read8(pointerOffset);
        var seen = new HashSet<int>();
        // 48 entries of 4 bytes fill 0x40-0xff: a longer list must loop (the kernel's TTL is 48 too).
        const int ttl = 48;
        while (pos != 0)
        {
            // The low two bits are reserved and masked, as the kernel does.
            pos &= ~3;
            if (pos < 0x40 || pos > 0xfe)
                return new(found, Hex($"pointer at 0x{from:x2} is 0x{pos:x2}, outside the capability area 0x40-0xff"));
            if (!seen.Add(pos))
                return new(found, Hex($"loop: the capability at 0x{from:x2} points back to 0x{pos:x2}"));
            if (found.Count >= ttl)
                return new(found, Hex($"more than {ttl} capabilities: the list cannot be that long"));
            byte id = config.Read8(pos);
            if (id == 0xff)
                return new(found, Hex($"capability at 0x{pos:x2} reads id 0xff (device not responding?)"));
            found.Add(new PciCapability((PciCapabilityId)id, pos));
            from = pos + 1;
            pos = config.Read8(pos + 1);
        }
        return new(found, null);
    }

    public static PciCapabilityChain<PciExtendedCapability> Extended(ConfigSpace config)
    {
        var found = new List<PciExtendedCapability>();
        if (config.Length <= ExtendedStart) return new(found, null);
        int pos = ExtendedStart;
        uint header = config.Read32(pos);
        // No extended capabilities (0) or config space beyond 256 bytes not accessible (all ones).
        if (header == 0 || header == 0xffffffff) return new(found, null);
        var seen = new HashSet<int>();
        int ttl = (config.Length - ExtendedStart) / 8;
        while (true)
        {
            if (!seen.Add(pos))
                return new(found, Hex($"loop: the extended capability chain returns to 0x{pos:x3}"));
            if (found.Count >= ttl)
                return new(found, Hex($"more than {ttl} extended capabilities: the list cannot be that long"));
            if (header == 0xffffffff)
                return new(found, Hex($"extended capability at 0x{pos:x3} reads all ones (device not responding?)"));
            found.Add(new PciExtendedCapability((PciExtendedCapabilityId)(header & 0xffff), (byte)((header >> 16) & 0xf), pos));
            int next = (int)((header >> 20) & 0xffc);
            if (next == 0) return new(found, null);
            if (next < ExtendedStart || next > config.Length - 4)
                return new(found, Hex($"extended capability at 0x{pos:x3} points to 0x{next:x3}, outside 0x100-0x{config.Length - 4:x3}"));
            pos = next;
            header = config.Read32(pos);
        }
    }

    private static string Hex(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
