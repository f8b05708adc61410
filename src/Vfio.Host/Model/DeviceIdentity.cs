namespace Vfio.Host.Model;

/// <summary>
/// What a device is, as opposed to where it sits: the ids from config space, the PCIe Device Serial
/// Number where the device has one, and for a VF its PF's identity and its index under that PF.
/// A persisted assignment records this beside the address, so that a device swapped or moved
/// between boots is recognised (docs/persistence.md, "Identity").
/// </summary>
public sealed record DeviceIdentity
{
    public required ushort VendorId { get; init; }
    public required ushort DeviceId { get; init; }
    public ushort? SubsystemVendorId { get; init; }
    public ushort? SubsystemDeviceId { get; init; }
    /// <summary>The 64-bit Device Serial Number, as lspci prints it (<c>00-1b-21-ff-ff-12-34-56</c>, most significant byte first); null when the device has no DSN capability or config space beyond 256 bytes could not be read.</summary>
    public string? Serial { get; init; }
    /// <summary>For a VF: the PF's identity (its own <see cref="Pf"/> is null).</summary>
    public DeviceIdentity? Pf { get; init; }
    /// <summary>For a VF: the PF's address when it was recorded.</summary>
    public PciAddress? PfAddress { get; init; }
    /// <summary>For a VF: N of the PF's <c>virtfnN</c> link.</summary>
    public int? VfIndex { get; init; }

    /// <summary>"vvvv:dddd".</summary>
    public string Ids => $"{VendorId:x4}:{DeviceId:x4}";

    /// <summary>
    /// Why <paramref name="found"/> is not the device this identity describes, or null when it is.
    /// Ids and subsystem ids must be equal where both are known; a serial recorded must be found
    /// again (a device that lost its serial is not trusted to be the same one); for a VF the PF must
    /// match and the index be the same.
    /// </summary>
    public string? Mismatch(DeviceIdentity found)
    {
        if (found.VendorId != VendorId || found.DeviceId != DeviceId)
            return $"declared {Ids}, found {found.Ids}";
        if (SubsystemVendorId is { } sv && SubsystemDeviceId is { } sd && found.SubsystemVendorId is { } fsv && found.SubsystemDeviceId is { } fsd
            && (sv != fsv || sd != fsd))
            return $"declared subsystem {sv:x4}:{sd:x4}, found {fsv:x4}:{fsd:x4}";
        if (Serial is { } serial && !string.Equals(serial, found.Serial, StringComparison.OrdinalIgnoreCase))
            return found.Serial is null ? $"declared serial {serial}, found a device without a readable serial" : $"declared serial {serial}, found {found.Serial}";
        if (Pf is { } pf)
        {
            if (found.Pf is null) return "declared a VF, found a device that is not one";
            if (VfIndex != found.VfIndex) return $"declared VF {VfIndex} of its PF, found VF {found.VfIndex}";
            if (pf.Mismatch(found.Pf) is { } why) return $"its PF: {why}";
        }
        return null;
    }
}
