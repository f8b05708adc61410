namespace Vfio.Policy.Sriov;

/// <summary>One kind of step of an SR-IOV plan, in the order they run.</summary>
public enum SriovAction
{
    /// <summary>Write 0 to <c>sriov_numvfs</c>: every VF is removed.</summary>
    RemoveVfs,
    /// <summary>Set vfio-pci's <c>enable_sriov</c> (the parameter file, or load vfio-pci with it).</summary>
    EnableSriovInVfioPci,
    /// <summary>Bind the PF to vfio-pci through the assignment engine (its own plan).</summary>
    BindPf,
    /// <summary>Write <c>sriov_drivers_autoprobe</c> before the VFs are created.</summary>
    SetAutoprobe,
    /// <summary>Write the new count to <c>sriov_numvfs</c>.</summary>
    CreateVfs,
    /// <summary>Bind every VF to vfio-pci through the assignment engine.</summary>
    BindVfs,
    /// <summary>Put <c>sriov_drivers_autoprobe</c> back to what it should stay at, after the VFs exist.</summary>
    ResetAutoprobe,
}
