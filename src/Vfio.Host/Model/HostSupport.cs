using System.Collections.Immutable;

namespace Vfio.Host.Model;

/// <summary>Whether MSIs are remapped by the IOMMU (docs/kernel-facts.md, section 11).</summary>
public enum InterruptRemapping
{
    /// <summary>Nothing said either way: no MSI or IO-APIC interrupt in <c>/proc/interrupts</c>, or it could not be read.</summary>
    Unknown,
    /// <summary>Interrupt chips carry the <c>IR-</c> prefix (IR-PCI-MSI, IR-IO-APIC): interrupts go through the remapping table.</summary>
    Active,
    /// <summary>PCI-MSI or IO-APIC chips without the prefix: interrupts are not remapped, so a device could forge them.</summary>
    Inactive,
}

/// <summary>Where a kernel module stands on this host.</summary>
public enum ModuleState
{
    /// <summary>Not known (no <c>modules.dep</c>/<c>modules.builtin</c> to read, e.g. a snapshot).</summary>
    Unknown,
    /// <summary>In <c>/sys/module</c> now.</summary>
    Loaded,
    /// <summary>Built into the kernel (<c>modules.builtin</c>).</summary>
    BuiltIn,
    /// <summary>A module file in <c>modules.dep</c>: modprobe loads it.</summary>
    Available,
    /// <summary>Neither loaded, built in nor installed: this kernel cannot have it without another package or build.</summary>
    Missing,
}

/// <summary>One huge page pool of <c>/sys/kernel/mm/hugepages</c>.</summary>
public readonly record struct HugePagePool(long SizeKiB, long Total, long Free);

/// <summary>
/// What decides whether this host can give devices to userspace at all, beyond its devices and
/// groups: the firmware's IOMMU tables, interrupt remapping and the parameters that waive it,
/// the VFIO modules, the device nodes, the locked-memory limit and huge pages. Read for
/// <c>vfioctl doctor</c>; every field is null or <see cref="ModuleState.Unknown"/> when it could not
/// be read (a snapshot has no <c>/proc/self</c>), never a guess.
/// </summary>
public sealed record HostSupport
{
    /// <summary>ACPI tables that describe an IOMMU (<c>DMAR</c> for Intel VT-d, <c>IVRS</c> for AMD-Vi), present in <c>/sys/firmware/acpi/tables</c>.</summary>
    public ImmutableArray<string> IommuTables { get; init; } = [];
    /// <summary>True when <c>/sys/firmware/acpi/tables</c> could be listed (so an empty <see cref="IommuTables"/> means none).</summary>
    public bool AcpiTablesReadable { get; init; }
    public InterruptRemapping InterruptRemapping { get; init; }
    /// <summary>The <c>/proc/interrupts</c> chips that decided <see cref="InterruptRemapping"/> ("IR-PCI-MSIX", "PCI-MSI"), a few.</summary>
    public ImmutableArray<string> InterruptChips { get; init; } = [];
    /// <summary><c>allow_unsafe_interrupts</c> of vfio_iommu_type1 as set now (sysfs when loaded, else the command line or modprobe.d); null when not set anywhere.</summary>
    public bool? Type1AllowUnsafeInterrupts { get; init; }
    /// <summary>The same parameter of iommufd.</summary>
    public bool? IommufdAllowUnsafeInterrupts { get; init; }
    /// <summary>vfio, vfio_pci, vfio_iommu_type1, iommufd, kvm, pci_stub: where each stands.</summary>
    public ImmutableDictionary<string, ModuleState> Modules { get; init; } = ImmutableDictionary<string, ModuleState>.Empty;
    /// <summary><c>/dev/vfio/vfio</c>, the legacy container node, exists.</summary>
    public bool ContainerNode { get; init; }
    /// <summary><c>/dev/kvm</c> exists: a VMM can run guests with hardware virtualization.</summary>
    public bool Kvm { get; init; }
    /// <summary>The effective uid of this process, from <c>/proc/self/status</c>.</summary>
    public int? EffectiveUid { get; init; }
    /// <summary>RLIMIT_MEMLOCK of this process (soft), bytes; <see cref="long.MaxValue"/> for unlimited.</summary>
    public long? MemlockBytes { get; init; }
    public ImmutableArray<HugePagePool> HugePages { get; init; } = [];

    public ModuleState ModuleStateOf(string module) => Modules.GetValueOrDefault(module, ModuleState.Unknown);

    public static HostSupport Unknown { get; } = new();
}
