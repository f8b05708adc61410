using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Policy.Assignment;
using Vfio.Policy.Sriov;

namespace Vfio.Policy.Persistence;

/// <summary>
/// What must be assigned at every boot: the contents of <c>/etc/vfioctl/assignments.yaml</c>
/// (docs/persistence.md has the schema). SR-IOV PFs come first when applied: their VFs must exist
/// before a device entry can name one.
/// </summary>
public sealed record DeclaredState
{
    /// <summary>The schema version this build reads and writes.</summary>
    public const int CurrentVersion = 1;

    public ImmutableArray<DeclaredDevice> Devices { get; init; } = [];
    public ImmutableArray<DeclaredPf> Sriov { get; init; } = [];

    public static DeclaredState Empty { get; } = new();

    public bool IsEmpty => Devices.IsEmpty && Sriov.IsEmpty;

    public DeclaredDevice? FindDevice(PciAddress a) => Devices.FirstOrDefault(d => d.Address == a);

    public DeclaredPf? FindPf(PciAddress a) => Sriov.FirstOrDefault(p => p.Pf == a);

    /// <summary>This state with <paramref name="device"/> added, replacing an entry at the same address.</summary>
    public DeclaredState With(DeclaredDevice device) =>
        this with { Devices = [.. Devices.Where(d => d.Address != device.Address), device] };

    /// <summary>This state with <paramref name="pf"/> added, replacing an entry for the same PF.</summary>
    public DeclaredState With(DeclaredPf pf) =>
        this with { Sriov = [.. Sriov.Where(p => p.Pf != pf.Pf), pf] };

    /// <summary>This state without any entry (device or PF) at <paramref name="a"/>.</summary>
    public DeclaredState Without(PciAddress a) =>
        this with { Devices = [.. Devices.Where(d => d.Address != a)], Sriov = [.. Sriov.Where(p => p.Pf != a)] };
}

/// <summary>A device to hand to userspace at boot, as <c>vfioctl bind</c> would (its whole group goes).</summary>
public sealed record DeclaredDevice
{
    public required PciAddress Address { get; init; }
    /// <summary>auto, vfio-pci, pci-stub or a driver name, as <c>--driver</c>.</summary>
    public DriverRequest Driver { get; init; } = DriverRequest.Auto;
    /// <summary>Group members to fence with pci-stub, as <c>--fence</c>.</summary>
    public ImmutableArray<PciAddress> Fence { get; init; } = [];
    /// <summary>Override the overridable refusals, as <c>--force</c>.</summary>
    public bool Force { get; init; }
    /// <summary>What the device is; null when it was written by hand without one (then the address alone is trusted).</summary>
    public DeviceIdentity? Identity { get; init; }
    /// <summary>The line of the entry in the file it came from (0 when not from a file).</summary>
    public int Line { get; init; }

    /// <summary>The bind request this entry stands for.</summary>
    public AssignmentRequest Request => new() { Targets = [Address], Driver = Driver, Fence = Fence, Force = Force };
}

/// <summary>Whether a PF's stored VF token is set again at boot.</summary>
public enum DeclaredToken
{
    /// <summary>The token in the state directory's store is set again once the PF is on vfio-pci.</summary>
    Stored,
    /// <summary>No token is set at boot.</summary>
    None,
}

/// <summary>A PF whose VFs are created at boot, as <c>vfioctl sriov enable</c> would.</summary>
public sealed record DeclaredPf
{
    public required PciAddress Pf { get; init; }
    public required int NumVfs { get; init; }
    /// <summary><c>sriov_drivers_autoprobe</c> to set; null leaves it.</summary>
    public bool? Autoprobe { get; init; }
    /// <summary>Drive the PF from vfio-pci (<c>--pf-driver vfio-pci</c>).</summary>
    public bool PfToVfioPci { get; init; }
    public VfBinding VfDriver { get; init; } = VfBinding.Auto;
    public DeclaredToken VfToken { get; init; } = DeclaredToken.Stored;
    public bool Force { get; init; }
    public DeviceIdentity? Identity { get; init; }
    public int Line { get; init; }

    /// <summary>The SR-IOV request this entry stands for.</summary>
    public SriovRequest Request => new() { Pf = Pf, NumVfs = NumVfs, Autoprobe = Autoprobe, Bind = VfDriver, PfToVfioPci = PfToVfioPci, Force = Force };
}
