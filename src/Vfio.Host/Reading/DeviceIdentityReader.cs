using System.Buffers.Binary;
using Vfio.Host.Model;
using Vfio.Host.Sysfs;

namespace Vfio.Host.Reading;

/// <summary>
/// Reads a device's <see cref="DeviceIdentity"/>: ids from the host model, the Device Serial Number
/// from the extended capabilities in config space (kernel-facts section 7), and for a VF its PF's
/// identity and index. Only on demand: the DSN needs the full 4 KiB of config space, which only
/// root can read.
/// </summary>
public static class DeviceIdentityReader
{
    /// <summary>PCIe extended capability id of the Device Serial Number.</summary>
    public const ushort DsnCapabilityId = 0x0003;

    /// <summary>The identity of <paramref name="device"/>, or null when its vendor or device id is unknown.</summary>
    public static DeviceIdentity? Read(HostFiles files, HostState host, PciDevice device)
    {
        if (device.VendorId is not { } vendor || device.DeviceId is not { } id) return null;
        var identity = new DeviceIdentity
        {
            VendorId = vendor,
            DeviceId = id,
            SubsystemVendorId = device.SubsystemVendorId,
            SubsystemDeviceId = device.SubsystemDeviceId,
            Serial = ReadSerial(files, device.Address),
        };
        if (device.PhysFn is not { } pfAddress) return identity;
        var pf = host.FindDevice(pfAddress);
        int index = pf?.Sriov?.VirtualFunctions.IndexOf(device.Address) ?? -1;
        return identity with
        {
            PfAddress = pfAddress,
            Pf = pf is null ? null : Read(files, host, pf) is { } p ? p with { Pf = null, PfAddress = null, VfIndex = null } : null,
            VfIndex = index >= 0 ? index : null,
        };
    }

    /// <summary>The DSN of the device at <paramref name="address"/>, or null (no capability, or config space unreadable past 256 bytes).</summary>
    public static string? ReadSerial(HostFiles files, PciAddress address) =>
        files.ReadBytes($"/sys/bus/pci/devices/{address}/config", 4096) is { } config ? FindSerial(config) : null;

    /// <summary>Walks the extended capability list of <paramref name="config"/> (at 0x100) for the DSN; null when absent or the list is malformed.</summary>
    public static string? FindSerial(ReadOnlySpan<byte> config)
    {
        int offset = ExtendedCapabilities.Find(config, DsnCapabilityId);
        if (offset < 0 || offset + 12 > config.Length) return null;
        ulong low = BinaryPrimitives.ReadUInt32LittleEndian(config[(offset + 4)..]);
        ulong high = BinaryPrimitives.ReadUInt32LittleEndian(config[(offset + 8)..]);
        ulong serial = (high << 32) | low;
        Span<char> text = stackalloc char[23];
        for (int i = 0; i < 8; i++)
        {
            byte b = (byte)(serial >> (56 - 8 * i));
            b.TryFormat(text[(i * 3)..], out _, "x2");
            if (i < 7) text[i * 3 + 2] = '-';
        }
        return new string(text);
    }
}
