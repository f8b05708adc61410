using System.CommandLine;

namespace Vfioctl.Commands;

/// <summary>Placeholder: `vfioctl lab` is being written (issue 3).</summary>
internal static class LabCommand
{
    public static Command Create() => new("lab", "Boot a real kernel with an emulated IOMMU under QEMU and run commands in it");
}
