using System.Collections.Immutable;
using Vfio.Host.Model;

namespace Vfio.Policy.Sriov;

/// <summary>
/// A VF that a userspace process has open (or appears to): removing it would make the
/// <c>sriov_numvfs</c> write wait in the kernel until the process lets go (kernel-facts section 4).
/// </summary>
public sealed record OpenVf
{
    public required PciAddress Address { get; init; }
    /// <summary>The processes known to hold it (its group node or a device fd naming it).</summary>
    public ImmutableArray<ProcessRef> Holders { get; init; } = [];
    /// <summary>True when a process was seen holding it; false when only its runtime PM state says it is open.</summary>
    public required bool Certain { get; init; }
    public required string Reason { get; init; }
}
