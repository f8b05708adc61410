using System.Collections.Immutable;

namespace Vfio.Host.Model;

/// <summary>The SR-IOV files of a physical function (<c>sriov_*</c>, <c>virtfnN</c> links).</summary>
public sealed record SriovInfo
{
    public int? TotalVfs { get; init; }
    public int? NumVfs { get; init; }
    public int? Offset { get; init; }
    public int? Stride { get; init; }
    /// <summary><c>sriov_vf_device</c>, bare hex in sysfs.</summary>
    public ushort? VfDeviceId { get; init; }
    /// <summary><c>sriov_drivers_autoprobe</c>: whether new VFs are probed by drivers.</summary>
    public bool? DriversAutoprobe { get; init; }
    /// <summary>The VFs that exist now, by index (<c>virtfn0</c> first).</summary>
    public ImmutableArray<PciAddress> VirtualFunctions { get; init; } = [];
}
