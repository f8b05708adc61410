using System.Collections.Immutable;

namespace Vfio.Execution.Assignment;

/// <summary>What happened to one device.</summary>
public sealed record DeviceOutcome(PciAddress Address, string? Before, string? After, string Message);

/// <summary>The outcome of applying a plan or a restore.</summary>
public sealed record ExecutionResult
{
    public bool Succeeded { get; init; }
    public ImmutableArray<DeviceOutcome> Devices { get; init; } = [];
    /// <summary>What failed, with errno and next step; null on success.</summary>
    public string? Error { get; init; }
    /// <summary>Whether a failure was rolled back completely.</summary>
    public bool RolledBack { get; init; }
    public ImmutableArray<string> Log { get; init; } = [];
}
