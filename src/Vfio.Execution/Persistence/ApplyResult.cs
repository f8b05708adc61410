using System.Collections.Immutable;
using Vfio.Execution.Assignment;
using Vfio.Execution.Sriov;
using Vfio.Policy.Assignment;
using Vfio.Policy.Sriov;

namespace Vfio.Execution.Persistence;

/// <summary>Where one declared entry stands after <c>vfioctl apply</c>.</summary>
public enum ApplyStatus
{
    /// <summary>Already as declared: nothing was written.</summary>
    InPlace,
    /// <summary>Changed to what is declared.</summary>
    Changed,
    /// <summary>A dry run: this would be changed.</summary>
    WouldChange,
    /// <summary>The plan was refused (a safety check): nothing was written for it.</summary>
    Refused,
    /// <summary>The kernel said no; what was done for the entry was rolled back.</summary>
    Failed,
    /// <summary>Another device is at the declared address: not touched.</summary>
    IdentityMismatch,
    /// <summary>No device at the declared address.</summary>
    Missing,
    /// <summary>The declared device (by its serial number) is at another address now: not touched there.</summary>
    Moved,
}

/// <summary>What <c>apply</c> did for one entry: a device, a PF's VFs, or a PF's VF token.</summary>
public sealed record ApplyEntry
{
    /// <summary>device, sriov or vf-token.</summary>
    public required string Kind { get; init; }
    public required PciAddress Address { get; init; }
    public required ApplyStatus Status { get; init; }
    /// <summary>One sentence: what was done or why not, with the next step where there is one.</summary>
    public required string Detail { get; init; }
    /// <summary>The entry's line in the declared-state file.</summary>
    public int Line { get; init; }
    /// <summary>Where a moved device is now.</summary>
    public PciAddress? MovedTo { get; init; }
    public AssignmentPlan? Plan { get; init; }
    public ExecutionResult? Bind { get; init; }
    public SriovPlan? SriovPlan { get; init; }
    public SriovResult? Sriov { get; init; }

    /// <summary>True unless the entry stands in the way of a converged host.</summary>
    public bool IsProblem => Status is not (ApplyStatus.InPlace or ApplyStatus.Changed or ApplyStatus.WouldChange);
}

/// <summary>The result of converging the host to the declared state.</summary>
public sealed record ApplyResult
{
    /// <summary>The declared-state file, as named.</summary>
    public required string Source { get; init; }
    public bool DryRun { get; init; }
    public ImmutableArray<ApplyEntry> Entries { get; init; } = [];
    public ImmutableArray<string> Warnings { get; init; } = [];

    public int Count(ApplyStatus status) => Entries.Count(e => e.Status == status);

    public bool Converged => !Entries.Any(e => e.IsProblem);

    /// <summary>Nothing was (or, in a dry run, would be) changed.</summary>
    public bool NothingChanged => !Entries.Any(e => e.Status is ApplyStatus.Changed or ApplyStatus.WouldChange);
}
