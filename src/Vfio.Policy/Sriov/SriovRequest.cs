namespace Vfio.Policy.Sriov;

/// <summary>A request to give a PF a number of VFs (<c>vfioctl sriov enable</c>).</summary>
public sealed record SriovRequest
{
    public required PciAddress Pf { get; init; }
    /// <summary>The number of VFs wanted, 1 or more (disabling is its own plan).</summary>
    public required int NumVfs { get; init; }
    /// <summary><c>--autoprobe on|off</c>: sets <c>sriov_drivers_autoprobe</c> for good; null leaves it as it is.</summary>
    public bool? Autoprobe { get; init; }
    public VfBinding Bind { get; init; } = VfBinding.Auto;
    /// <summary><c>--pf-driver vfio-pci</c>: drive the PF from userspace, with SR-IOV enabled in vfio-pci.</summary>
    public bool PfToVfioPci { get; init; }
    /// <summary>Override the refusals that may be overridden.</summary>
    public bool Force { get; init; }
}
