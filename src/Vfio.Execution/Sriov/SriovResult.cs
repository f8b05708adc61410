using System.Collections.Immutable;

namespace Vfio.Execution.Sriov;

/// <summary>The outcome of an SR-IOV plan.</summary>
public sealed record SriovResult
{
    public required PciAddress Pf { get; init; }
    public bool Succeeded { get; init; }
    /// <summary>What failed, with the kernel's errno and the next step; null on success.</summary>
    public string? Error { get; init; }
    /// <summary>Whether a failure was undone completely (the PF as it was before the run).</summary>
    public bool RolledBack { get; init; }
    public string? PfDriverBefore { get; init; }
    /// <summary>The PF's driver afterwards; null when unknown (a write still blocked in the kernel).</summary>
    public string? PfDriverAfter { get; init; }
    public int VfsBefore { get; init; }
    /// <summary>The VF count afterwards; null when it cannot be read safely (a write still blocked).</summary>
    public int? VfsAfter { get; init; }
    public ImmutableArray<VfOutcome> Vfs { get; init; } = [];
    /// <summary>Whether the stored VF token was set in the kernel (null: nothing to set).</summary>
    public bool? TokenApplied { get; init; }
    public ImmutableArray<string> Notes { get; init; } = [];
    public ImmutableArray<string> Log { get; init; } = [];
}
