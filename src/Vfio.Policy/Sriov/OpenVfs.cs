using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Policy.Drivers;

namespace Vfio.Policy.Sriov;

/// <summary>
/// Finds the VFs of a PF that userspace holds open, from what the host model read in
/// <c>/proc/*/fd</c> and the VFs' runtime PM state. Removing such a VF blocks the writer of
/// <c>sriov_numvfs</c> in vfio's unregister until the holder closes it (seen on 6.1 and 6.12), and
/// meanwhile reading the PF's <c>sriov_numvfs</c> (and on 6.1 its <c>uevent</c>) blocks too.
/// </summary>
public static class OpenVfs
{
    public static ImmutableArray<OpenVf> Find(HostState host, SriovFacts facts, PciDevice pf)
    {
        var result = new List<OpenVf>();
        var unnamed = host.VfioDeviceFds.Where(f => f.Device is null).Select(f => f.Process).Distinct().ToList();
        foreach (var address in pf.Sriov?.VirtualFunctions ?? [])
        {
            var vf = host.FindDevice(address);
            var holders = new List<ProcessRef>();
            string? node = null;
            if (vf?.IommuGroup is { } g && host.GroupUsers.TryGetValue(g, out var users))
            {
                holders.AddRange(users);
                node = host.FindGroup(g)?.VfioNode ?? $"/dev/vfio/{g}";
            }
            foreach (var fd in host.VfioDeviceFds.Where(f => f.Device == address))
                if (!holders.Contains(fd.Process)) holders.Add(fd.Process);
            if (holders.Count > 0)
            {
                result.Add(new OpenVf
                {
                    Address = address,
                    Holders = [.. holders],
                    Certain = true,
                    Reason = $"VF {address} is open in userspace ({(node is null ? "a device fd" : node)} held by {string.Join(", ", holders)})",
                });
                continue;
            }
            // No process shows it, yet vfio-pci holds a runtime PM usage count for it: a process
            // may keep only the device fd (group fd closed), and 6.12's fdinfo does not name the device.
            if (vf is not null && DriverKinds.Classify(vf) == DriverKind.Vfio && facts.VfioPciDisableIdleD3 == false
                && facts.VfPower.TryGetValue(address, out var pm) && pm.Control == "auto" && pm.Usage > 0)
            {
                result.Add(new OpenVf
                {
                    Address = address,
                    Holders = [.. unnamed],
                    Certain = false,
                    Reason = $"VF {address} appears open (vfio-pci holds a runtime PM reference: power/runtime_usage {pm.Usage}, {pm.Status ?? "status unknown"}) though no process has its group node open"
                        + (unnamed.Count > 0 ? $"; processes with VFIO device fds the kernel does not name: {string.Join(", ", unnamed)}" : ""),
                });
            }
        }
        return [.. result];
    }
}
