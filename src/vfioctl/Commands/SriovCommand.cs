using System.CommandLine;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl sriov</c>: SR-IOV PFs, their VFs, and the VF token (docs/sriov.md).</summary>
internal static class SriovCommand
{
    public static Command Create(CliServices services)
    {
        var sriov = new Command("sriov", "SR-IOV: list PFs and VFs, create and remove VFs, manage the VF token");
        sriov.Subcommands.Add(SriovListCommand.Create());
        sriov.Subcommands.Add(SriovEnableCommand.Create(services));
        sriov.Subcommands.Add(SriovDisableCommand.Create(services));
        sriov.Subcommands.Add(SriovTokenCommand.Create(services));
        return sriov;
    }
}
