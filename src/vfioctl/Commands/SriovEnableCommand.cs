using System.CommandLine;
using Vfio.Execution.Operations;
using Vfio.Execution.Persistence;
using Vfio.Policy.Persistence;
using Vfio.Policy.Sriov;
using Vfioctl.Commands.Options;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl sriov enable PF --vfs N</c>: give a PF N VFs (N → 0 → M when it has some), journaled.</summary>
internal static class SriovEnableCommand
{
    private static readonly Argument<string> Pf = SriovOptions.Pf();
    private static readonly Option<int?> Vfs = new("--vfs") { Description = "How many VFs the PF should have (1 or more; 'sriov disable' removes them all)", Required = true };
    private static readonly Option<string?> Autoprobe = new("--autoprobe") { Description = "on|off: set sriov_drivers_autoprobe (whether drivers probe new VFs) for good" };
    private static readonly Option<string> Bind = new("--bind")
    {
        Description = "auto (the kernel decides), vfio-pci (every new VF to vfio-pci, journaled), none (the VFs stay without a driver)",
        DefaultValueFactory = _ => "auto",
    };
    private static readonly Option<string?> PfDriver = new("--pf-driver") { Description = "vfio-pci: drive the PF from userspace (binds it to vfio-pci with SR-IOV enabled in vfio-pci)" };

    public static Command Create(CliServices services) => CommandActions.Define("enable",
        "Give a PF a number of VFs, optionally binding them (or the PF) to vfio-pci; undo with 'vfioctl restore PF'",
        (parse, term) =>
        {
            var request = Request(parse);
            bool persist = parse.GetValue(PersistOptions.Persist);
            if (persist && parse.GetValue(SriovOptions.DryRun)) throw new UsageException("--persist with --dry-run: a dry run declares nothing either; drop one of them.");
            return SriovApply.Run(parse, term, services, (ops, dryRun, beforeApply) => SriovEnableOperation.Run(request, ops, dryRun, beforeApply),
                afterSuccess: !persist ? null : ops => PersistCommand.AfterChange(parse, term, file => PersistOperation.AddPf(new DeclaredPf
                {
                    Pf = request.Pf,
                    NumVfs = request.NumVfs,
                    Autoprobe = request.Autoprobe,
                    PfToVfioPci = request.PfToVfioPci,
                    VfDriver = request.Bind,
                    Force = request.Force,
                }, file, ops), ops.Kernel.Files));
        },
        [Pf, Vfs, Autoprobe, Bind, PfDriver, .. SriovOptions.Apply, PersistOptions.Persist, PersistOptions.Config]);

    private static SriovRequest Request(ParseResult parse)
    {
        var pf = SriovOptions.ParsePf(parse.GetValue(Pf));
        int vfs = parse.GetValue(Vfs) ?? throw new UsageException("--vfs N is required.");
        if (vfs < 1)
            throw new UsageException(vfs == 0 ? $"--vfs 0: to remove every VF use 'vfioctl sriov disable {pf}'." : $"--vfs {vfs}: give a number of VFs, 1 or more.");
        bool? autoprobe = parse.GetValue(Autoprobe) switch
        {
            null => null,
            "on" => true,
            "off" => false,
            var other => throw new UsageException($"--autoprobe '{other}': expected on or off."),
        };
        var bind = parse.GetValue(Bind) switch
        {
            "auto" => VfBinding.Auto,
            "vfio-pci" => VfBinding.VfioPci,
            "none" => VfBinding.None,
            var other => throw new UsageException($"--bind '{other}': expected auto, vfio-pci or none."),
        };
        bool pfToVfio = parse.GetValue(PfDriver) switch
        {
            null => false,
            "vfio-pci" => true,
            var other => throw new UsageException($"--pf-driver '{other}': only vfio-pci is supported (to return the PF to its own driver: 'vfioctl restore {pf}')."),
        };
        return new SriovRequest { Pf = pf, NumVfs = vfs, Autoprobe = autoprobe, Bind = bind, PfToVfioPci = pfToVfio, Force = parse.GetValue(SriovOptions.Force) };
    }
}
