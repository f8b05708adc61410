using System.CommandLine;
using Vfio.Policy.Sriov;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl sriov disable PF</c>: remove every VF, refusing (with the holders named) when one is open.</summary>
internal static class SriovDisableCommand
{
    private static readonly Argument<string> Pf = SriovSupport.Pf();

    public static Command Create()
    {
        var cmd = new Command("disable", "Remove every VF of a PF; refused while a VF is open in userspace (the kernel would wait for it)");
        cmd.Arguments.Add(Pf);
        SriovSupport.AddApplyOptions(cmd);
        CommandSupport.SetGuardedAction(cmd, Run);
        return cmd;
    }

    private static int Run(ParseResult parse, Terminal term)
    {
        var address = SriovSupport.ParsePf(parse.GetValue(Pf));
        bool force = parse.GetValue(SriovSupport.Force);
        return SriovSupport.PlanAndApply(parse, term, view =>
        {
            var pf = view.RequireDevice(address);
            return SriovPlanner.PlanDisable(view.Host, SriovSupport.Facts(view, pf), address, force);
        }, parse.GetValue(SriovSupport.DryRun));
    }
}
