using System.Collections.Immutable;
using Vfio.Host.Model;

namespace Vfio.Policy.Assignment;

/// <summary>
/// A device restore or unbind gives back, as the planner needs it: whether vfioctl changed its
/// SR-IOV state (restore: a journaled PF), and for a PF the SR-IOV facts read from the host
/// (null when not read).
/// </summary>
public sealed record ReleaseTarget(PciAddress Address, bool SriovChanged, SriovFacts? Facts = null);

/// <summary>A request to leave devices without a driver.</summary>
public sealed record UnbindRequest
{
    public required ImmutableArray<PciAddress> Targets { get; init; }
    /// <summary>Override the refusals that may be overridden (host-essential devices).</summary>
    public bool Force { get; init; }
}

/// <summary>What a restore would return, and what stands in its way.</summary>
public sealed record RestorePlan
{
    /// <summary>The journaled devices restore returns (every one with <see cref="All"/>).</summary>
    public ImmutableArray<PciAddress> Devices { get; init; } = [];
    /// <summary>True for <c>restore --all</c>.</summary>
    public bool All { get; init; }
    /// <summary>None may be overridden: each would make the restore wait on a userspace process.</summary>
    public ImmutableArray<Refusal> Refusals { get; init; } = [];

    public bool CanApply => Refusals.IsEmpty;
}

/// <summary>The devices an unbind leaves without a driver, and what stands in its way.</summary>
public sealed record UnbindPlan
{
    public required UnbindRequest Request { get; init; }
    /// <summary>Named devices the host does not have (the command reports them as not found).</summary>
    public ImmutableArray<PciAddress> Missing { get; init; } = [];
    public ImmutableArray<Refusal> Refusals { get; init; } = [];

    /// <summary>Refusals that stand: all non-overridable ones, and the overridable ones without --force.</summary>
    public IEnumerable<Refusal> Blocking => Refusals.Where(r => !r.Overridable || !Request.Force);

    public bool CanApply => Missing.IsEmpty && !Blocking.Any();
}
