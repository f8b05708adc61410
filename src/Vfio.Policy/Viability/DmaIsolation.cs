using Vfio.Host.Model;

namespace Vfio.Policy.Viability;

/// <summary>Whether an IOMMU group's DMA isolation holds for every member (kernel-facts section 5a).</summary>
public enum Isolation
{
    /// <summary>Nothing in the group is known to DMA around the IOMMU.</summary>
    Real,
    /// <summary>A member DMAs around the IOMMU: a virtio device without VIRTIO_F_ACCESS_PLATFORM.</summary>
    NotReal,
    /// <summary>A member's virtio features could not be read: it may bypass the IOMMU.</summary>
    Unknown,
}

/// <summary>
/// A viable group is not isolated when one of its devices ignores the IOMMU: a virtio device that
/// did not negotiate VIRTIO_F_ACCESS_PLATFORM uses guest-physical addresses directly, so binding it
/// to vfio-pci works, the group looks viable, and the userspace driver hangs while its DMA goes
/// wherever it points.
/// </summary>
public static class DmaIsolation
{
    /// <summary>The isolation of one device, with the sentence that explains it (null when real).</summary>
    public static (Isolation State, string? Reason) Of(HostState host, PciDevice d)
    {
        if (!host.IommuEnabled || !VirtioFunction.IsVirtioId(d.VendorId, d.DeviceId)) return (Isolation.Real, null);
        var a = d.Address;
        if (d.Virtio is not { } v)
        {
            var where = d.Driver switch
            {
                null => "it has no driver",
                "virtio-pci" => "its virtio device could not be read",
                _ => $"it is on {d.Driver}, not virtio-pci",
            };
            return (Isolation.Unknown,
                $"{a} is a virtio device whose negotiated features cannot be read ({where}): whether it honours the IOMMU (VIRTIO_F_ACCESS_PLATFORM, bit 33) is unknown. "
                + "Read it on virtio-pci with its virtio driver loaded, or make sure the VMM gives it iommu_platform=on.");
        }
        return v.AccessPlatform switch
        {
            true => (Isolation.Real, null),
            false => (Isolation.NotReal,
                $"{a} ({v.Name}) did not negotiate VIRTIO_F_ACCESS_PLATFORM (feature bit 33): it DMAs to guest-physical addresses around the IOMMU, so its isolation is not real and a userspace driver on it hangs. "
                + "Fix it in the VMM: QEMU -device virtio-...-pci,iommu_platform=on,ats=on; libvirt <driver iommu='on' ats='on'/>."),
            null => (Isolation.Unknown,
                $"{a} ({v.Name}) has no virtio driver, so no features were negotiated: whether it honours the IOMMU (VIRTIO_F_ACCESS_PLATFORM, bit 33) is unknown. "
                + $"Load its driver (modprobe -a $(cat /sys/bus/virtio/devices/{v.Name}/modalias)) and look again, or make sure the VMM gives it iommu_platform=on."),
        };
    }

    /// <summary>The worst isolation among the group's members, with every reason.</summary>
    public static (Isolation State, IReadOnlyList<string> Reasons) OfGroup(HostState host, IommuGroup group)
    {
        var state = Isolation.Real;
        var reasons = new List<string>();
        foreach (var a in group.Devices)
        {
            if (host.FindDevice(a) is not { } d) continue;
            var (s, reason) = Of(host, d);
            if (reason is not null) reasons.Add(reason);
            if (s == Isolation.NotReal || (s == Isolation.Unknown && state == Isolation.Real)) state = s;
        }
        return (state, reasons);
    }
}
