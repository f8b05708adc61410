namespace Vfio.Policy.Sriov;

/// <summary>What <c>--bind</c> asks for the VFs a plan creates.</summary>
public enum VfBinding
{
    /// <summary>What the kernel does by itself: with autoprobe on, the VFs' own drivers probe them; a vfio-pci PF's VFs go to vfio-pci.</summary>
    Auto,
    /// <summary>Every new VF goes to vfio-pci through the assignment engine (journaled, undone by restore).</summary>
    VfioPci,
    /// <summary>The VFs are created with autoprobe off and stay without a driver.</summary>
    None,
}
