using System.CommandLine;

namespace Vfioctl.Commands;

/// <summary>
/// <c>vfioctl lab</c>: the real-kernel lab (docs/lab.md). Boots a Debian kernel
/// with an emulated IOMMU under QEMU, with a named topology of emulated PCI
/// devices, and runs a command inside, on this machine's own file system.
/// </summary>
internal static class LabCommand
{
    public static Command Create()
    {
        var lab = new Command("lab", "Boot a real kernel with an emulated IOMMU under QEMU and run commands in it");
        lab.Subcommands.Add(LabTopologiesCommand.Create());
        lab.Subcommands.Add(LabPrepareCommand.Create());
        lab.Subcommands.Add(LabRunCommand.Create());
        return lab;
    }
}
