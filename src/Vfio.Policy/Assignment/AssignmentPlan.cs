using System.Collections.Immutable;

namespace Vfio.Policy.Assignment;

/// <summary>What happens to one group member.</summary>
public enum StepAction
{
    /// <summary>Bind to the userspace driver (vfio-pci, a variant, or what --driver named).</summary>
    Move,
    /// <summary>Bind to pci-stub: claimed, unusable by the host and not openable through VFIO.</summary>
    Fence,
    /// <summary>Leave as it is (a bridge on pcieport, or already where it should be).</summary>
    Keep,
}

/// <summary>One member of a planned group: where it is, where it goes, and why.</summary>
public sealed record DeviceStep
{
    public required PciAddress Address { get; init; }
    public required int Group { get; init; }
    public required StepAction Action { get; init; }
    public string? FromDriver { get; init; }
    public string? FromOverride { get; init; }
    /// <summary>The PCI driver name to bind (vfio-pci, pci-stub, mlx5_vfio_pci...); null for Keep.</summary>
    public string? ToDriver { get; init; }
    /// <summary>The module that provides <see cref="ToDriver"/>.</summary>
    public string? ToModule { get; init; }
    public required string Reason { get; init; }

    /// <summary>The driver the device is on once the plan is carried out.</summary>
    public string? FinalDriver => Action == StepAction.Keep ? FromDriver : ToDriver;
}

/// <summary>Why (part of) a plan must not be carried out.</summary>
public sealed record Refusal(PciAddress? Address, string Reason, bool Overridable);

/// <summary>
/// A BAR of a member going to a vfio driver that the firmware framebuffer keeps reserved
/// (kernel-facts section 10). <paramref name="Refused"/>: the plan refuses it (overridably); false
/// for a VGA-class function, which vfio-pci clears when it binds it (the plan notes it instead).
/// </summary>
public sealed record DeviceBarConflict(PciAddress Address, Vfio.Host.Model.BarConflict Conflict, bool Refused);

/// <summary>A module to load before binding, with parameters.</summary>
public sealed record ModuleLoad(string Module, ImmutableArray<string> Parameters, string Reason);

/// <summary>
/// The whole plan for a bind: every member of every group involved, the modules to load, and
/// what is refused. Pure data: <c>--dry-run</c> prints exactly this.
/// </summary>
public sealed record AssignmentPlan
{
    public required AssignmentRequest Request { get; init; }
    public ImmutableArray<int> Groups { get; init; } = [];
    public ImmutableArray<DeviceStep> Steps { get; init; } = [];
    public ImmutableArray<ModuleLoad> Modules { get; init; } = [];
    public ImmutableArray<Refusal> Refusals { get; init; } = [];
    /// <summary>BARs of members going to a vfio driver that the firmware framebuffer holds: each is a refusal (overridable) or, on a VGA-class function, a note.</summary>
    public ImmutableArray<DeviceBarConflict> BarConflicts { get; init; } = [];
    public ImmutableArray<string> Notes { get; init; } = [];
    /// <summary>Whether applying turns on vfio's unsafe no-IOMMU mode (<c>enable_unsafe_noiommu_mode</c>) before binding.</summary>
    public bool EnableNoIommuMode { get; init; }

    /// <summary>Refusals that stand: all non-overridable ones, and the overridable ones without --force.</summary>
    public IEnumerable<Refusal> Blocking => Refusals.Where(r => !r.Overridable || !Request.Force);

    public bool CanApply => !Blocking.Any();

    /// <summary>The steps that change something.</summary>
    public IEnumerable<DeviceStep> Changes => Steps.Where(s => s.Action != StepAction.Keep);
}
