using Vfio.Host.Model;
using Vfio.Policy.Assignment;
using Vfio.Policy.Drivers;
using Vfio.Policy.Sriov;

namespace Vfio.Policy.Persistence;

/// <summary>How far the host is from a declared entry: null when it is as declared, else what differs.</summary>
public static class Drift
{
    /// <summary>What differs between a declared PF and the host (VF count, the PF's driver, the VFs' driver, autoprobe).</summary>
    public static string? Of(DeclaredPf pf, HostState host)
    {
        if (host.FindDevice(pf.Pf) is not { } device) return "not on the host";
        if (device.Sriov is not { } sriov) return "not an SR-IOV PF";
        var differences = new List<string>();
        int now = sriov.NumVfs ?? 0;
        if (now != pf.NumVfs) differences.Add($"{now} VF(s), declared {pf.NumVfs}");
        if (pf.PfToVfioPci && !DriverKinds.OnVfio(device)) differences.Add($"PF on {device.Driver ?? "no driver"}, declared vfio-pci");
        if (pf.VfDriver == VfBinding.VfioPci)
        {
            int off = sriov.VirtualFunctions.Select(host.FindDevice).Count(v => v is null || !DriverKinds.OnVfio(v));
            if (off > 0) differences.Add($"{off} VF(s) not on vfio-pci");
        }
        if (pf.Autoprobe is { } ap && sriov.DriversAutoprobe != ap) differences.Add($"autoprobe {(sriov.DriversAutoprobe == true ? "on" : "off")}, declared {(ap ? "on" : "off")}");
        return differences.Count == 0 ? null : string.Join("; ", differences);
    }

    /// <summary>What differs between a declared device and the host: the members its plan would still move.</summary>
    public static string? Of(DeclaredDevice d, AssignmentPlan plan)
    {
        var changes = plan.Changes.ToList();
        if (changes.Count == 0) return null;
        return string.Join("; ", changes.Select(s => $"{s.Address} on {s.FromDriver ?? "no driver"}, declared {s.ToDriver}"));
    }
}
