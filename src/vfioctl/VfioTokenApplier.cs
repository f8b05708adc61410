using Vfio;
using Vfio.Execution.Kernel;
using Vfio.Execution.Sriov;
using Vfio.Userspace;

namespace Vfioctl;

/// <summary>
/// Sets a PF's VF token through the VFIO library: opens the PF (with the current token as its
/// <c>vf_token=</c> option when one is known, which the kernel requires while a VF is open), sets
/// the new token with <c>VFIO_DEVICE_FEATURE</c> SET|PCI_VF_TOKEN (16 bytes, RFC 4122 order) and
/// closes it again, through whichever backend the library chooses (and says which). The kernel keeps the token for as long as vfio-pci drives the PF
/// (kernel-facts section 4). Library errors become <see cref="KernelException"/>s with the errno.
/// </summary>
internal sealed class VfioTokenApplier : IVfTokenApplier
{
    public string Apply(PciAddress pf, VfToken token, VfToken? current)
    {
        try
        {
            // The library's own backend choice: the device cdev with iommufd where the kernel has it
            // (the current token then goes in the bind), else the group with the token in the open string.
            using var session = VfioSession.Open(pf, current is { } c ? new VfioDeviceOptions { VfToken = c.ToGuid() } : null);
            session.Device.SetVfToken(token.ToGuid());
            return session.Backend == VfioBackend.Iommufd
                ? $"through the device cdev {session.Device.Cdev} (iommufd)"
                : $"through the group /dev/vfio/{session.Group.Number} (container)";
        }
        catch (VfioException e)
        {
            throw new KernelException($"setting the VF token of {pf} through VFIO ({e.Operation})", e.Errno == 0 ? Errno.EIO : e.Errno,
                e.Hint ?? e.Detail);
        }
    }
}
