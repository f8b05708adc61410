namespace Vfio.Policy.Sriov;

/// <summary>One step of an SR-IOV plan and why it is there.</summary>
public sealed record SriovStep
{
    public required SriovAction Action { get; init; }
    /// <summary>The VF count written (RemoveVfs: 0; CreateVfs: the new count).</summary>
    public int? NumVfs { get; init; }
    /// <summary>The autoprobe value written (SetAutoprobe, ResetAutoprobe).</summary>
    public bool? Autoprobe { get; init; }
    public required string Reason { get; init; }
}
