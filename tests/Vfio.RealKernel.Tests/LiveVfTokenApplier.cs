using Vfio.Execution.Sriov;

namespace Vfio.RealKernel.Tests;

/// <summary>
/// The token applier the tests give the execution layer on a live kernel: opens the PF through
/// VFIO with raw ioctls (with the current token as its vf_token option when one is known, which
/// the kernel requires while a VF is open) and sets the new one with VFIO_DEVICE_FEATURE. It stands
/// in for vfioctl's own applier on the VFIO library, so the execution layer's hook is checked
/// against the kernel.
/// </summary>
internal sealed class LiveVfTokenApplier : IVfTokenApplier
{
    public void Apply(PciAddress pf, VfToken token, VfToken? current)
    {
        var group = int.Parse(Path.GetFileName(new FileInfo($"/sys/bus/pci/devices/{pf}/iommu_group").LinkTarget!));
        using var hold = VfioGroupHold.Open(group, current?.ToOpenOption(), only: pf.ToString());
        hold.SetVfToken(pf.ToString(), token);
    }
}
