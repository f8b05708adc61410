using System.CommandLine;
using Vfio.Execution.Operations;
using Vfioctl.Commands.Options;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl sriov disable PF</c>: remove every VF, refusing (with the holders named) when one is open.</summary>
internal static class SriovDisableCommand
{
    private static readonly Argument<string> Pf = SriovOptions.Pf();

    public static Command Create(CliServices services) => CommandActions.Define("disable",
        "Remove every VF of a PF; refused while a VF is open in userspace (the kernel would wait for it)",
        (parse, term) => SriovApply.Run(parse, term, services, (ops, dryRun, beforeApply) =>
            SriovDisableOperation.Run(SriovOptions.ParsePf(parse.GetValue(Pf)), parse.GetValue(SriovOptions.Force), ops, dryRun, beforeApply)),
        [Pf, .. SriovOptions.Apply]);
}
