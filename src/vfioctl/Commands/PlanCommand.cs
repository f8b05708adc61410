using System.CommandLine;
using Vfio.Execution.Operations;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfioctl.Commands.Options;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl plan ADDRESS...</c>: what bind would do, changing nothing.</summary>
internal static class PlanCommand
{
    private static readonly Argument<string[]> Targets = AssignmentOptions.Addresses("Devices to hand to userspace (their whole groups go)");

    public static Command Create()
    {
        var cmd = new Command("plan", "Show what 'vfioctl bind' would do to the devices' groups, changing nothing");
        cmd.Arguments.Add(Targets);
        cmd.Options.Add(AssignmentOptions.Driver);
        cmd.Options.Add(AssignmentOptions.Fence);
        cmd.Options.Add(AssignmentOptions.Force);
        cmd.Options.Add(AssignmentOptions.NoIommu);
        cmd.SetAction(parse => CommandActions.WithHost(parse, (term, view, json) =>
        {
            var request = AssignmentOptions.Request(parse, Targets);
            var warnings = new List<string>();
            var plan = BindOperation.Plan(new HostFiles(view.Host.Root), view.Host, request, warnings);
            CommandActions.Warn(term, warnings);
            PlanWriter.Write(term, view, plan, json);
            return plan.CanApply ? ExitCodes.Success : ExitCodes.Refused;
        }, new HostReadOptions { GroupUsers = true, Details = false }));
        return cmd;
    }
}
