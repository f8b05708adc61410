using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Policy.Assignment;
using Vfio.Policy.Drivers;
using Vfio.Policy.Viability;

namespace Vfio.Policy.Diagnosis;

/// <summary>
/// Doctor's findings for one device. A device on VFIO is checked as assigned: who holds it, whether
/// its isolation is real, BARs the firmware framebuffer still holds, reset, VF token. A device the
/// user named that is not on VFIO is judged by the plan <c>vfioctl bind</c> would make: its refusals
/// (holders, framebuffer BARs, DMA bypass, the boot VGA) are the problems, each with its fix.
/// </summary>
internal static class DeviceDiagnosis
{
    public static List<Finding> Of(DoctorInput input, PciDevice d, ImmutableDictionary<int, GroupVerdict> verdicts, bool focused)
    {
        var found = new List<Finding>();
        var host = input.Host;
        var verdict = d.IommuGroup is { } g && verdicts.TryGetValue(g, out var v) ? v : null;
        Finding F(string check, Severity s, string summary, IEnumerable<string>? details = null, string? fix = null) =>
            new() { Check = check, Severity = s, Device = d.Address, Summary = summary, Details = [.. details ?? []], Fix = fix };

        if (DriverKinds.OnVfio(d))
        {
            Assigned(input, d, verdict, F, found);
            return found;
        }

        found.Add(F(Checks.Driver, Severity.Info, d.Driver is { } drv ? $"On {drv}, not on VFIO." : "On no driver."));
        if (!focused)
        {
            // Listed for a BAR conflict: what it means if it is ever assigned.
            foreach (var c in d.BarConflicts) found.Add(BarConflictFinding(d, c, assigned: false, F));
            return found;
        }
        if (!host.IommuEnabled && !host.NoIommuMode)
        {
            found.Add(F(Checks.Plan, Severity.Problem, "It cannot be given to userspace: the host has no IOMMU (see the iommu check)."));
            return found;
        }
        var plan = AssignmentPlanner.Plan(host, input.Aliases, new AssignmentRequest { Targets = [d.Address], NoIommu = !host.IommuEnabled && host.NoIommuMode });
        foreach (var r in plan.Refusals)
            found.Add(F(Checks.Plan, Severity.Problem, $"`vfioctl bind {d.Address}` is refused: {r.Reason}",
                fix: r.Overridable ? "Fix what is named, or bind with --force if you accept the risk." : "Fix what is named."));
        foreach (var c in plan.BarConflicts.Where(b => b.Address == d.Address && !b.Refused))
            found.Add(BarConflictFinding(d, c.Conflict, assigned: false, F));
        if (plan.CanApply)
        {
            var changes = plan.Changes.Select(s => $"{s.Address}: {s.FromDriver ?? "no driver"} -> {s.ToDriver ?? "no driver"} ({s.Reason})").ToList();
            found.Add(F(Checks.Plan, Severity.Ok,
                changes.Count == 0 ? $"`vfioctl bind {d.Address}` has nothing to do." : $"`vfioctl bind {d.Address}` would move {changes.Count} device(s) of group {string.Join(", ", plan.Groups)}.",
                [.. changes, .. plan.Notes.Where(n => !plan.BarConflicts.Any(b => n.StartsWith(b.Address.ToString(), StringComparison.Ordinal)))]));
        }
        return found;
    }

    private static void Assigned(DoctorInput input, PciDevice d, GroupVerdict? verdict,
        Func<string, Severity, string, IEnumerable<string>?, string?, Finding> F, List<Finding> found)
    {
        var host = input.Host;
        var group = host.GroupOf(d);
        var nodes = new List<string>();
        if (group?.VfioNode is { } node) nodes.Add(node.StartsWith('/') ? node : "/dev/vfio/" + node);
        if (host.CdevOf(d) is { } cdev) nodes.Add(cdev);
        found.Add(F(Checks.Driver, Severity.Ok,
            $"On {d.Driver ?? "a VFIO driver"}{(d.VfioDevice is null ? "" : $" (VFIO device {d.VfioDevice})")}{(nodes.Count > 0 ? ": " + string.Join(", ", nodes) : "")}.", null, null));

        var users = new List<ProcessRef>();
        if (d.IommuGroup is { } g && host.GroupUsers.TryGetValue(g, out var groupUsers)) users.AddRange(groupUsers);
        users.AddRange(AssignmentPlanner.DeviceFdHolders(host, d.Address));
        var named = users.Distinct().ToList();
        found.Add(named.Count > 0
            ? F(Checks.Users, Severity.Info, $"In use through VFIO by {string.Join(", ", named)}.",
                ["restore and unbind refuse while it is held: the kernel's unbind would wait for the program to let go."], null)
            : F(Checks.Users, Severity.Ok, "No process holds its group or device open.", null, null));

        if (verdict is { IsolationReasons.Length: > 0 })
            found.Add(F(Checks.Isolation, verdict.Isolation == Isolation.NotReal ? Severity.Problem : Severity.Warning,
                verdict.Isolation == Isolation.NotReal ? "Its IOMMU isolation is not real: a member of its group DMAs around the IOMMU." : "Its IOMMU isolation is unknown: a member may DMA around the IOMMU.",
                verdict.IsolationReasons, "Give the virtio device VIRTIO_F_ACCESS_PLATFORM on the VMM side (QEMU: iommu_platform=on,ats=on), then restore and bind it again."));

        foreach (var c in d.BarConflicts) found.Add(BarConflictFinding(d, c, assigned: true, F));

        if (d.ResetMethods.IsEmpty)
            found.Add(F(Checks.Reset, Severity.Warning, "The kernel knows no way to reset it alone (reset_method is empty).",
                ["Between users it keeps its state; a VMM may refuse or fall back to a bus reset of its slot."], null));

        if (d.Sriov is { NumVfs: > 0 } sriov)
            found.Add(F(Checks.VfToken, Severity.Info,
                input.StoredTokens.Contains(d.Address)
                    ? $"A PF on VFIO with {sriov.NumVfs} VF(s): its VFs open only with its VF token, and vfioctl has one stored."
                    : $"A PF on VFIO with {sriov.NumVfs} VF(s): its VFs open only with the VF token its user sets.",
                null, input.StoredTokens.Contains(d.Address) ? null : $"Set one with `vfioctl sriov token {d.Address}` when the PF's user does not."));
    }

    private static Finding BarConflictFinding(PciDevice d, BarConflict c, bool assigned, Func<string, Severity, string, IEnumerable<string>?, string?, Finding> F)
    {
        bool cleared = AssignmentPlanner.VfioClearsFramebuffer(d);
        if (assigned)
            return F(Checks.BarConflict, Severity.Problem, $"{c.Describe()}, though it is on VFIO: vfio-pci could not reserve that BAR, so opening or mapping it fails.",
                null, c.Fix);
        return cleared
            ? F(Checks.BarConflict, Severity.Info, $"{c.Describe()}.",
                ["vfio-pci removes the firmware framebuffer from a VGA-class function when it binds it, so a bind frees the BAR (and the host loses that console)."], c.Fix)
            : F(Checks.BarConflict, Severity.Warning, $"{c.Describe()}.",
                ["vfio-pci cannot reserve this BAR while the framebuffer holds it: a VM or program opening the device would fail (\"BAR N: can't reserve\")."], c.Fix);
    }
}
