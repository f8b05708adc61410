using System.Buffers.Binary;

namespace Vfio.Userspace;

/// <summary>
/// PCI configuration space: raw 8/16/32-bit access (little-endian), typed header fields and a safe
/// walk of the standard and extended capability lists. Backed by a device's config region (through
/// the kernel, which virtualises parts of it) or by bytes (a sysfs <c>config</c> file) for offline use.
/// </summary>
public sealed class ConfigSpace
{
    internal ConfigSpace(IConfigAccess access) => Access = access;

    internal IConfigAccess Access { get; }

    /// <summary>A config space over bytes, e.g. <c>File.ReadAllBytes("/sys/bus/pci/devices/ADDR/config")</c>; writes change the array.</summary>
    public static ConfigSpace FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return new ConfigSpace(new ArrayConfigAccess(bytes));
    }

    /// <summary>Bytes of configuration space available: 256, or 4096 for PCI Express.</summary>
    public int Length => Access.Length;

    /// <summary>Reads 8 bits.</summary>
    public byte Read8(int offset)
    {
        Span<byte> b = stackalloc byte[1];
        Access.Read(Check(offset, 1), b);
        return b[0];
    }

    /// <summary>Reads 16 bits (little-endian).</summary>
    public ushort Read16(int offset)
    {
        Span<byte> b = stackalloc byte[2];
        Access.Read(Check(offset, 2), b);
        return BinaryPrimitives.ReadUInt16LittleEndian(b);
    }

    /// <summary>Reads 32 bits (little-endian).</summary>
    public uint Read32(int offset)
    {
        Span<byte> b = stackalloc byte[4];
        Access.Read(Check(offset, 4), b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    /// <summary>Writes 8 bits.</summary>
    public void Write8(int offset, byte value) => Access.Write(Check(offset, 1), [value]);

    /// <summary>Writes 16 bits (little-endian).</summary>
    public void Write16(int offset, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        Access.Write(Check(offset, 2), b);
    }

    /// <summary>Writes 32 bits (little-endian).</summary>
    public void Write32(int offset, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        Access.Write(Check(offset, 4), b);
    }

    /// <summary>Vendor id (offset 0).</summary>
    public ushort VendorId => Read16(0x00);

    /// <summary>Device id (offset 2).</summary>
    public ushort DeviceId => Read16(0x02);

    /// <summary>Command register (offset 4).</summary>
    public PciCommand Command
    {
        get => (PciCommand)Read16(0x04);
        set => Write16(0x04, (ushort)value);
    }

    /// <summary>Status register (offset 6); bit 4 says a capability list exists.</summary>
    public ushort Status => Read16(0x06);

    /// <summary>Revision id (offset 8).</summary>
    public byte RevisionId => Read8(0x08);

    /// <summary>Class code: base class, subclass, programming interface (offsets 0xb, 0xa, 9) as 0xBBSSPP.</summary>
    public uint ClassCode => Read32(0x08) >> 8;

    /// <summary>Header type (offset 0xe) without the multifunction bit: 0 endpoint, 1 PCI bridge, 2 CardBus bridge.</summary>
    public byte HeaderType => (byte)(Read8(0x0e) & 0x7f);

    /// <summary>Subsystem vendor id (offset 0x2c, type 0 headers).</summary>
    public ushort SubsystemVendorId => Read16(0x2c);

    /// <summary>Subsystem id (offset 0x2e, type 0 headers).</summary>
    public ushort SubsystemId => Read16(0x2e);

    /// <summary>Interrupt pin (offset 0x3d): 0 none, 1-4 INTA-INTD.</summary>
    public byte InterruptPin => Read8(0x3d);

    /// <summary>Sets the bus-master bit so the device may DMA (kernel-facts section 6).</summary>
    public void EnableBusMaster() => Command |= PciCommand.BusMaster;

    /// <summary>The standard capability list, walked safely.</summary>
    public PciCapabilityChain<PciCapability> Capabilities => CapabilityWalker.Standard(this);

    /// <summary>The PCI Express extended capability list (empty for 256-byte config spaces), walked safely.</summary>
    public PciCapabilityChain<PciExtendedCapability> ExtendedCapabilities => CapabilityWalker.Extended(this);

    /// <summary>The first standard capability with this id, or null.</summary>
    public PciCapability? FindCapability(PciCapabilityId id) =>
        Capabilities.Where(c => c.Id == id).Select(c => (PciCapability?)c).FirstOrDefault();

    /// <summary>The first extended capability with this id, or null.</summary>
    public PciExtendedCapability? FindExtendedCapability(PciExtendedCapabilityId id) =>
        ExtendedCapabilities.Where(c => c.Id == id).Select(c => (PciExtendedCapability?)c).FirstOrDefault();

    private int Check(int offset, int width)
    {
        if (offset < 0 || offset > Length - width)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"a {width * 8}-bit config access at 0x{offset:x} lies outside the {Length}-byte configuration space.");
        if ((offset & (width - 1)) != 0)
            throw new ArgumentException($"a {width * 8}-bit config access at 0x{offset:x} is not {width}-byte aligned.", nameof(offset));
        return offset;
    }
}
