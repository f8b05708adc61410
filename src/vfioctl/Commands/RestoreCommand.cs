using System.CommandLine;
using Vfio;
using Vfio.Host.Reading;
using Vfio.Policy.Sriov;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl restore [ADDRESS...|--all]</c>: return devices to the drivers they really had.</summary>
internal static class RestoreCommand
{
    private static readonly Argument<string[]> Targets = AssignmentSupport.Addresses("Devices to restore (their journaled original driver and override)");
    private static readonly Option<bool> All = new("--all") { Description = "Restore every device vfioctl has moved" };

    public static Command Create()
    {
        var cmd = new Command("restore", "Return devices vfioctl moved to their original drivers (or none) and clear its overrides");
        cmd.Arguments.Add(Targets);
        cmd.Options.Add(All);
        cmd.Options.Add(AssignmentSupport.StateDir);
        CommandSupport.SetGuardedAction(cmd, Run);
        return cmd;
    }

    private static int Run(ParseResult parse, Terminal term)
    {
        var root = AssignmentSupport.RequireDirectoryRoot(parse.GetValue(GlobalOptions.Root)!, "restore");
        var targets = AssignmentSupport.ParseAddresses(parse.GetValue(Targets) ?? [], "device");
        bool all = parse.GetValue(All);
        if (all == (targets.Count > 0))
            throw new UsageException("name the devices to restore, or --all (not both).");
        AssignmentSupport.RequireRootForLiveHost(root, "restore");
        var assigner = AssignmentSupport.MakeAssigner(root, parse);
        using var held = assigner.Lock();
        var journal = assigner.LoadJournal();
        foreach (var t in targets.Where(t => journal.Find(t) is null))
            throw new NotFoundException($"{t} is not in vfioctl's journal ({parse.GetValue(AssignmentSupport.StateDir)}): vfioctl did not move it, so there is nothing to restore.");

        // A group open in userspace cannot take kernel drivers back (EBUSY): say who holds it.
        using (var view = HostView.Open(root, new HostReadOptions { GroupUsers = true, Holders = false, Details = false }))
        {
            var groups = journal.Entries.Where(e => all || targets.Contains(PciAddress.Parse(e.Address)))
                .Select(e => view.Host.FindDevice(PciAddress.Parse(e.Address))?.IommuGroup).OfType<int>().Distinct();
            foreach (var g in groups)
                if (view.Host.GroupUsers.TryGetValue(g, out var users) && users.Length > 0)
                {
                    term.Error.WriteLine($"vfioctl: group {g} is open in userspace ({string.Join(", ", users)}): close it first; restoring now would block or fail.");
                    return ExitCodes.Refused;
                }
            // A PF whose SR-IOV vfioctl changed loses its VFs on restore: one open in userspace would make that wait.
            foreach (var e in journal.Entries.Where(e => e.SriovChanged && (all || targets.Contains(PciAddress.Parse(e.Address)))))
            {
                if (view.Host.FindDevice(PciAddress.Parse(e.Address)) is not { Sriov.VirtualFunctions.Length: > 0 } pf) continue;
                var open = OpenVfs.Find(view.Host, SriovSupport.Facts(view, pf), pf).Where(o => o.Certain).ToList();
                if (open.Count == 0) continue;
                foreach (var o in open)
                    term.Error.WriteLine($"vfioctl: {o.Reason}: restoring {pf.Address} removes its VFs, which would wait until that process closes it. Stop it first.");
                return ExitCodes.Refused;
            }
        }

        var result = assigner.Restore(all ? null : targets);
        if (parse.GetValue(GlobalOptions.Json)) Json.Write(term.Out, w => AssignmentSupport.WriteResult(w, result));
        else
        {
            if (result.Devices.Length == 0 && result.Succeeded) term.Out.WriteLine("Nothing to restore: the journal is empty.");
            AssignmentSupport.PrintResult(term, result);
        }
        return result.Succeeded ? ExitCodes.Success : ExitCodes.Failed;
    }
}
