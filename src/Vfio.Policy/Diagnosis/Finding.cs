using System.Collections.Immutable;

namespace Vfio.Policy.Diagnosis;

/// <summary>How much a finding matters to someone who wants to assign devices.</summary>
public enum Severity
{
    /// <summary>Checked and fine.</summary>
    Ok,
    /// <summary>Worth knowing; nothing to fix.</summary>
    Info,
    /// <summary>Works, but weaker or riskier than it should be (an override in force, state changed outside vfioctl).</summary>
    Warning,
    /// <summary>Assignment fails or is unsafe until this is fixed.</summary>
    Problem,
}

/// <summary>
/// One result of <c>vfioctl doctor</c> (docs/doctor.md): what was checked, on the host or on one
/// device, what was found, and the fix when there is one.
/// </summary>
public sealed record Finding
{
    /// <summary>The check's stable name (<see cref="Checks"/>), for scripts and the JSON output.</summary>
    public required string Check { get; init; }
    public required Severity Severity { get; init; }
    /// <summary>The device the finding is about; null for the host.</summary>
    public PciAddress? Device { get; init; }
    /// <summary>One sentence: the state found.</summary>
    public required string Summary { get; init; }
    /// <summary>The evidence behind it, one line each.</summary>
    public ImmutableArray<string> Details { get; init; } = [];
    /// <summary>What to do; null when nothing is to be done.</summary>
    public string? Fix { get; init; }
}

/// <summary>The names of doctor's checks.</summary>
public static class Checks
{
    public const string Kernel = "kernel";
    public const string Iommu = "iommu";
    public const string InterruptRemapping = "interrupt-remapping";
    public const string VfioModules = "vfio-modules";
    public const string NoIommuMode = "noiommu-mode";
    public const string Privileges = "privileges";
    public const string Memlock = "memlock";
    public const string HugePages = "hugepages";
    public const string Kvm = "kvm";
    public const string Groups = "groups";
    public const string Journal = "journal";
    public const string Declared = "declared-state";
    public const string Driver = "driver";
    public const string Users = "vfio-users";
    public const string Isolation = "isolation";
    public const string BarConflict = "bar-conflict";
    public const string Reset = "reset";
    public const string VfToken = "vf-token";
    public const string Plan = "plan";
}
