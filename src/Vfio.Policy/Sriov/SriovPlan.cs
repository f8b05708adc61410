using System.Collections.Immutable;
using Vfio.Policy.Assignment;

namespace Vfio.Policy.Sriov;

/// <summary>What an SR-IOV plan does: enable (or change the number of) VFs, or remove them all.</summary>
public enum SriovOperation
{
    Enable,
    Disable,
}

/// <summary>
/// The plan for one PF: where it stands, the steps in order with their reasons, and what is
/// refused. Pure data: <c>--dry-run</c> prints exactly this.
/// </summary>
public sealed record SriovPlan
{
    public required SriovOperation Operation { get; init; }
    public required PciAddress Pf { get; init; }
    /// <summary>The request for an enable plan; null for disable.</summary>
    public SriovRequest? Request { get; init; }
    public bool Force { get; init; }
    /// <summary>The PF's driver now.</summary>
    public string? PfDriver { get; init; }
    public int? TotalVfs { get; init; }
    /// <summary>The number of VFs now.</summary>
    public int CurrentVfs { get; init; }
    /// <summary>The number of VFs when the plan is done.</summary>
    public int TargetVfs { get; init; }
    /// <summary><c>sriov_drivers_autoprobe</c> now.</summary>
    public bool? Autoprobe { get; init; }
    public ImmutableArray<SriovStep> Steps { get; init; } = [];
    /// <summary>The assignment plan that moves the PF to vfio-pci (<see cref="SriovAction.BindPf"/>).</summary>
    public AssignmentPlan? PfAssignment { get; init; }
    /// <summary>VFs that would be removed while userspace holds them.</summary>
    public ImmutableArray<OpenVf> OpenVfs { get; init; } = [];
    public ImmutableArray<Refusal> Refusals { get; init; } = [];
    public ImmutableArray<string> Notes { get; init; } = [];

    /// <summary>Refusals that stand: the PF's assignment plan's, every non-overridable one, and the overridable ones without --force.</summary>
    public IEnumerable<Refusal> Blocking =>
        Refusals.Where(r => !r.Overridable || !Force).Concat(PfAssignment?.Blocking ?? []);

    public bool CanApply => !Blocking.Any();

    /// <summary>True when the plan writes <c>sriov_numvfs</c> 0 at some point (existing VFs go away).</summary>
    public bool RemovesVfs => Steps.Any(s => s.Action == SriovAction.RemoveVfs);

    public bool Has(SriovAction action) => Steps.Any(s => s.Action == action);
}
