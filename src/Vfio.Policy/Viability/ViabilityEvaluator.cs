using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Policy.Drivers;

namespace Vfio.Policy.Viability;

/// <summary>Decides, from the host model alone, whether each IOMMU group can go to userspace.</summary>
public static class ViabilityEvaluator
{
    /// <summary>Verdicts for every group of the host, by group id.</summary>
    public static ImmutableDictionary<int, GroupVerdict> EvaluateAll(HostState host, ViabilityRules? rules = null)
    {
        var r = rules ?? ViabilityRulesFor.Kernel(host.Kernel);
        return host.Groups.ToImmutableDictionary(g => g.Id, g => Evaluate(host, g, r));
    }

    public static GroupVerdict Evaluate(HostState host, IommuGroup group, ViabilityRules? rules = null)
    {
        var r = rules ?? ViabilityRulesFor.Kernel(host.Kernel);
        var blockers = new List<Blocker>();
        var notes = new List<string>();
        bool anyVfio = false;

        foreach (var address in group.Devices)
        {
            var device = host.FindDevice(address);
            if (device is null)
            {
                notes.Add($"{address} is listed in group {group.Id} but has no entry in /sys/bus/pci/devices.");
                continue;
            }
            var kind = DriverKinds.Classify(device);
            if (kind == DriverKind.Vfio) anyVfio = true;
            if (Blocks(device, kind, r))
                blockers.Add(new Blocker(address, device.Driver!, BlockReason(device, r)));
            Cautions(device, kind, notes);
        }
        foreach (var other in group.OtherMembers)
            notes.Add($"Group {group.Id} also holds '{other}', which is not a PCI device: vfioctl cannot judge its driver.");

        var status = blockers.Count > 0 ? GroupStatus.Blocked : anyVfio ? GroupStatus.Assigned : GroupStatus.Viable;
        var (isolation, isolationReasons) = DmaIsolation.OfGroup(host, group);
        return new GroupVerdict
        {
            Group = group,
            Status = status,
            Rules = r,
            Blockers = [.. blockers],
            Notes = [.. notes],
            Isolation = isolation,
            IsolationReasons = [.. isolationReasons],
        };
    }

    /// <summary>Whether one member, as bound now, makes its group non-viable under the given rules.</summary>
    public static bool Blocks(PciDevice device, DriverKind kind, ViabilityRules rules) => kind switch
    {
        DriverKind.None or DriverKind.Vfio or DriverKind.Stub => false,
        DriverKind.PciePort => rules == ViabilityRules.Legacy && !device.IsBridge,
        _ => rules == ViabilityRules.DriverManagedDma || !device.IsBridge,
    };

    private static string BlockReason(PciDevice d, ViabilityRules rules)
    {
        var what = d.VendorDevice is { } vd ? $"{d.Address} [{vd}]" : d.Address.ToString();
        if (IsHostEssential(d, out var why))
            return $"{what} is bound to {d.Driver}, which does DMA for the host; it {why}, so this group cannot go to userspace without taking it from the host.";
        var rule = rules == ViabilityRules.Legacy ? " (kernel before 5.19)" : "";
        return $"{what} is bound to {d.Driver}, a host driver that owns DMA{rule}: bind it with the group (vfioctl bind {d.Address}), fence it with pci-stub (--fence {d.Address}), or unbind it.";
    }

    /// <summary>True when the device is one the host cannot sensibly give up (host/ISA bridge, boot VGA, in use).</summary>
    public static bool IsHostEssential(PciDevice d, out string why)
    {
        if (d.Class is { IsHostBridge: true }) { why = "is a host bridge"; return true; }
        if (d.Class is { IsIsaBridge: true }) { why = "is the ISA/LPC bridge (firmware, keyboard, TPM sit behind it)"; return true; }
        if (d.BootVga) { why = "is the boot VGA (the host console)"; return true; }
        var used = d.Holders.Where(h => h.InUse).ToList();
        if (used.Count > 0) { why = "is in use by the host: " + string.Join("; ", used.Select(h => h.Describe())); return true; }
        why = "";
        return false;
    }

    private static void Cautions(PciDevice d, DriverKind kind, List<string> notes)
    {
        if (d.Class is { IsHostBridge: true })
            notes.Add($"{d.Address} is a host bridge: the kernel allows its group, but it is part of the platform and vfioctl will not assign it.");
        if (d.BootVga)
            notes.Add($"{d.Address} is the boot VGA: binding it to vfio-pci removes the host's firmware console.");
        foreach (var h in d.Holders.Where(h => h.InUse))
            notes.Add($"{d.Address} carries {h.Describe()}.");
        if (d.IsBridge && kind == DriverKind.PciePort)
            notes.Add($"{d.Address} is a bridge on pcieport; it stays with the host and does not block the group.");
        foreach (var w in d.Warnings)
            notes.Add(w);
    }
}
