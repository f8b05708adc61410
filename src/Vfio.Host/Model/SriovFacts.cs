using System.Collections.Immutable;

namespace Vfio.Host.Model;

/// <summary>
/// What an SR-IOV plan needs beyond the host model: vfio-pci's module parameters and the runtime
/// PM state of a PF's VFs (a sign that one is open when no process shows it through a group node).
/// </summary>
public sealed record SriovFacts
{
    /// <summary>vfio-pci's <c>enable_sriov</c> parameter; null when vfio-pci is not loaded.</summary>
    public bool? VfioPciEnableSriov { get; init; }
    /// <summary>vfio-pci's <c>disable_idle_d3</c> parameter; null when vfio-pci is not loaded.</summary>
    public bool? VfioPciDisableIdleD3 { get; init; }
    /// <summary>Runtime PM of each VF of the PF, by address.</summary>
    public ImmutableDictionary<PciAddress, RuntimePm> VfPower { get; init; } = ImmutableDictionary<PciAddress, RuntimePm>.Empty;

    /// <summary>Facts for a host with no vfio-pci loaded and nothing known about the VFs.</summary>
    public static SriovFacts None { get; } = new();
}
