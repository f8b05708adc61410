using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Policy.Drivers;
using Vfio.Policy.Sriov;
using Vfio.Policy.Viability;

namespace Vfio.Policy.Assignment;

/// <summary>
/// Plans giving devices back: <c>restore</c> (to their journaled drivers) and <c>unbind</c> (to no
/// driver). Both refuse what would make a kernel write wait on a userspace process: a group open
/// in userspace (unbinding a vfio device waits until it is closed, kernel-facts section 4) and, for
/// restore, a PF whose VFs vfioctl made while one is open (removing it waits the same way).
/// Unbind also refuses, unless forced, a device the host cannot sensibly give up.
/// </summary>
public static class ReleasePlanner
{
    /// <summary>
    /// Plans restoring <paramref name="journaled"/> (every journaled device when <paramref name="all"/>,
    /// else those named, all of which must be in the journal: the caller reports the others).
    /// </summary>
    public static RestorePlan PlanRestore(HostState host, IReadOnlyList<ReleaseTarget> journaled, bool all)
    {
        var refusals = new List<Refusal>();
        var groups = new List<int>();
        var heldGroups = new HashSet<int>();
        foreach (var j in journaled)
        {
            if (host.FindDevice(j.Address)?.IommuGroup is not { } g || groups.Contains(g)) continue;
            groups.Add(g);
            if (host.GroupUsers.TryGetValue(g, out var users) && users.Length > 0)
            {
                heldGroups.Add(g);
                refusals.Add(new Refusal(j.Address,
                    $"group {g} is open in userspace ({string.Join(", ", users)}): close it first; restoring now would block or fail.", false));
            }
        }
        // Held through the device's own fd (the iommufd cdev) with no group node open: the unbind would
        // wait for it just the same. (With the group node open too, the group's refusal says it.)
        foreach (var j in journaled)
            if (host.FindDevice(j.Address)?.IommuGroup is not { } held || !heldGroups.Contains(held))
                if (AssignmentPlanner.DeviceFdHolders(host, j.Address) is { Count: > 0 } holders)
                    refusals.Add(new Refusal(j.Address,
                        $"{j.Address} is open in userspace through its VFIO device ({string.Join(", ", holders)}): restoring now would wait until it is closed; {AssignmentPlanner.StopFirst(holders)}.", false));
        // A PF whose SR-IOV vfioctl changed loses its VFs on restore: one open in userspace would make that wait.
        foreach (var j in journaled)
        {
            if (!j.SriovChanged || host.FindDevice(j.Address) is not { Sriov.VirtualFunctions.Length: > 0 } pf) continue;
            foreach (var open in OpenVfs.Find(host, j.Facts ?? SriovFacts.None, pf))
                if (open.Certain)
                    refusals.Add(new Refusal(pf.Address,
                        $"{open.Reason}: restoring {pf.Address} removes its VFs, which would wait until that process closes it. Stop it first.", false));
        }
        return new RestorePlan { Devices = [.. journaled.Select(j => j.Address)], All = all, Refusals = [.. refusals] };
    }

    /// <summary>
    /// Plans leaving the named devices without a driver. <paramref name="pfFacts"/> holds the SR-IOV
    /// facts of named PFs that have VFs (null or missing: none read).
    /// </summary>
    public static UnbindPlan PlanUnbind(HostState host, UnbindRequest request, IReadOnlyList<ReleaseTarget>? pfFacts = null)
    {
        var missing = new List<PciAddress>();
        var refusals = new List<Refusal>();
        foreach (var t in request.Targets)
        {
            if (host.FindDevice(t) is not { } d)
            {
                missing.Add(t);
                continue;
            }
            // The group node held says it; otherwise the device's own fd (the iommufd cdev) may hold it.
            if (d.IommuGroup is { } g && host.GroupUsers.TryGetValue(g, out var users) && users.Length > 0)
                refusals.Add(new Refusal(t, $"{t} is in group {g}, open in userspace ({string.Join(", ", users)}): unbinding would block until it is closed.", false));
            else if (AssignmentPlanner.DeviceFdHolders(host, t) is { Count: > 0 } holders)
                refusals.Add(new Refusal(t, $"{t} is open in userspace through its VFIO device ({string.Join(", ", holders)}): unbinding would wait until it is closed; {AssignmentPlanner.StopFirst(holders)}.", false));
            if (ViabilityEvaluator.IsHostEssential(d, out var why))
                refusals.Add(new Refusal(t, $"{t} {why}.", true));
            if (d.Sriov is { VirtualFunctions.Length: > 0 })
            {
                // vfio-pci disables SR-IOV when it lets a PF go (kernel-facts section 4); another driver may too.
                bool removes = DriverKinds.OnVfio(d);
                var facts = pfFacts?.FirstOrDefault(f => f.Address == t)?.Facts ?? SriovFacts.None;
                foreach (var open in OpenVfs.Find(host, facts, d))
                    if (open.Certain)
                        refusals.Add(new Refusal(t,
                            $"{open.Reason}: unbinding {t} from {d.Driver ?? "no driver"} {(removes ? "removes" : "may remove")} its VFs, which would wait until that process closes it. Stop it first.",
                            !removes));
            }
        }
        return new UnbindPlan { Request = request, Missing = [.. missing], Refusals = [.. refusals] };
    }
}
