namespace Vfio.Tests.Simulation;

/// <summary>
/// The SR-IOV state of a simulated PF (its <c>struct pci_sriov</c>, and vfio-pci's VF token while
/// vfio-pci drives it).
/// </summary>
internal sealed class SimulatedSriov
{
    public required int TotalVfs { get; init; }
    public required int Offset { get; init; }
    public required int Stride { get; init; }
    /// <summary><c>sriov_vf_device</c>: the device id every VF reports.</summary>
    public required ushort VfDevice { get; init; }
    /// <summary><c>sriov_drivers_autoprobe</c>.</summary>
    public bool Autoprobe { get; set; } = true;
    /// <summary>The VFs that exist, in virtfn order.</summary>
    public List<SimulatedDevice> Vfs { get; } = [];
    /// <summary>
    /// A removal of the VFs waiting for a userspace holder to close one (the PF's device lock is
    /// held meanwhile); finished by the last release, then its operation runs.
    /// </summary>
    public BlockedWrite? PendingRemoval { get; set; }
    /// <summary>vfio-pci's vf_token of this PF: random when vfio-pci binds it (uuid_gen), null otherwise.</summary>
    public Guid? VfToken { get; set; }
    /// <summary>VFs of this PF open in userspace (vf_token->users).</summary>
    public int VfTokenUsers { get; set; }
}
