using System.Diagnostics.CodeAnalysis;
using Vfio.Userspace;

namespace Vfio.Samples;

/// <summary>
/// The samples' command line: <c>ADDRESS [--backend auto|container|iommufd]</c>. The backend is the
/// library's choice by default (iommufd where the kernel and the user allow it, else the container);
/// the samples' code is the same for both.
/// </summary>
internal static class SampleCommandLine
{
    public const string Usage = "ADDRESS [--backend auto|container|iommufd]";

    public static bool TryParse(string[] args, out PciAddress address, [NotNullWhen(true)] out VfioSessionOptions? options)
    {
        address = default;
        options = null;
        var backend = VfioBackend.Auto;
        if (args.Length == 3 && args[1] == "--backend")
        {
            switch (args[2])
            {
                case "auto": backend = VfioBackend.Auto; break;
                case "container": backend = VfioBackend.Container; break;
                case "iommufd": backend = VfioBackend.Iommufd; break;
                default: return false;
            }
        }
        else if (args.Length != 1)
        {
            return false;
        }
        if (!PciAddress.TryParse(args[0], out address)) return false;
        options = new VfioSessionOptions { Backend = backend };
        return true;
    }

    /// <summary>Where the device was opened: the group (container) or the cdev (iommufd), and why that backend.</summary>
    public static string Describe(VfioSession session) => session.Backend == VfioBackend.Container
        ? $"backend container, IOMMU group {session.Group.Number} ({session.BackendReason})"
        : $"backend iommufd, {session.Device.Cdev} in I/O address space {((IommufdIoas)session.Dma).Id} ({session.BackendReason})";
}
