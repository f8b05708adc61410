using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Policy.Drivers;

namespace Vfio.Policy.Diagnosis;

/// <summary>A device vfioctl's journal says it moved: where it was and what vfioctl bound it to.</summary>
public sealed record JournaledDevice(PciAddress Address, string? OriginalDriver, string? BoundTo);

/// <summary>One entry of the declared state as a dry-run apply sees it.</summary>
/// <param name="Address">The device or PF declared.</param>
/// <param name="Line">Its line in the declared-state file.</param>
/// <param name="InPlace">The host already matches it.</param>
/// <param name="Refused">Apply could not bring it about (the detail says why).</param>
/// <param name="Detail">What apply would do, or why it cannot.</param>
public sealed record DeclaredEntryState(PciAddress Address, int Line, bool InPlace, bool Refused, string Detail);

/// <summary>Everything <see cref="Doctor.Diagnose"/> looks at; read by the doctor operation.</summary>
public sealed record DoctorInput
{
    /// <summary>The host, read with holders, details and the VFIO fd users.</summary>
    public required HostState Host { get; init; }
    public HostSupport Support { get; init; } = HostSupport.Unknown;
    /// <summary>The kernel's modules.alias, for what a bind of a named device would do.</summary>
    public ModuleAliases Aliases { get; init; } = ModuleAliases.Empty;
    /// <summary>Devices the user asked about; empty: the whole host.</summary>
    public ImmutableArray<PciAddress> Targets { get; init; } = [];
    /// <summary>The journal's devices; null when the state directory could not be read.</summary>
    public ImmutableArray<JournaledDevice>? Journal { get; init; }
    /// <summary>Why the state directory could not be read, when it could not.</summary>
    public string? StateProblem { get; init; }
    /// <summary>The state files are there but damaged or unsafe (not merely unreadable to this user).</summary>
    public bool StateDamaged { get; init; }
    /// <summary>PFs with a stored VF token.</summary>
    public ImmutableHashSet<PciAddress> StoredTokens { get; init; } = [];
    /// <summary>The declared-state file, when it exists.</summary>
    public string? DeclaredSource { get; init; }
    public ImmutableArray<DeclaredEntryState> Declared { get; init; } = [];
    /// <summary>Why the declared state could not be checked (unparsable file), when it could not.</summary>
    public string? DeclaredProblem { get; init; }
}

/// <summary>What doctor found, host first, then device by device.</summary>
public sealed record DoctorReport
{
    public required ImmutableArray<Finding> Findings { get; init; }
    public int Count(Severity s) => Findings.Count(f => f.Severity == s);
    /// <summary>No finding is a problem.</summary>
    public bool Healthy => !Findings.Any(f => f.Severity == Severity.Problem);
    /// <summary>The devices with findings, in the order found.</summary>
    public IEnumerable<PciAddress> Devices => Findings.Where(f => f.Device is not null).Select(f => f.Device!.Value).Distinct();
}
