namespace Vfio.Execution.Sriov;

/// <summary>
/// Sets a PF's VF token in the kernel. The kernel keeps the token in vfio-pci's state of a PF it
/// drives (random until set, lost when vfio-pci lets the PF go) and takes it only from a process
/// that has the PF open through VFIO: the <c>vf_token=</c> option of <c>VFIO_GROUP_GET_DEVICE_FD</c>
/// sets it while no VF is open, and <c>VFIO_DEVICE_FEATURE</c> with <c>SET | PCI_VF_TOKEN</c> and
/// the 16 bytes in RFC 4122 order sets it at any time on an open PF (kernel-facts section 4; both
/// seen on 6.1 and 6.12). The implementation lives above the execution layer, on the VFIO library.
/// </summary>
public interface IVfTokenApplier
{
    /// <summary>
    /// Sets <paramref name="token"/> as the VF token of <paramref name="pf"/>, a PF bound to vfio-pci.
    /// <paramref name="current"/> is the token the kernel has now when vfioctl knows it: while a VF
    /// is open the kernel opens the PF only with it (EACCES otherwise). Throws
    /// <see cref="Kernel.KernelException"/> with the kernel's errno when it fails (EBUSY: another
    /// process has the PF's group open; EACCES: a VF is open and the current token was not given).
    /// Returns how it reached the kernel, for the user (e.g. "through the device cdev
    /// /dev/vfio/devices/vfio0 (iommufd)" or "through the group /dev/vfio/8 (container)").
    /// </summary>
    string Apply(PciAddress pf, VfToken token, VfToken? current);
}
