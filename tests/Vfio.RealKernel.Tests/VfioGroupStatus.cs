using System.Runtime.InteropServices;
using Vfio.Interop;
using Vfio.Userspace.Interop;

namespace Vfio.RealKernel.Tests;

/// <summary>
/// The kernel's own answer to "is this group viable": VFIO_GROUP_GET_STATUS on /dev/vfio/N
/// (kernel-facts section 2). Used as the oracle the host model's verdicts are checked against;
/// a raw ioctl with the kernel's struct, not the library's VfioGroup.
/// </summary>
internal static class VfioGroupStatus
{
    /// <summary>True when the kernel says the group is viable; throws with errno when it cannot be asked.</summary>
    public static unsafe bool IsViable(int group)
    {
        using var fd = File.OpenHandle($"/dev/vfio/{group}", FileMode.Open, FileAccess.ReadWrite);
        var status = new vfio_group_status { argsz = (uint)sizeof(vfio_group_status) };
        if (Libc.Ioctl(fd, VfioIoctl.VFIO_GROUP_GET_STATUS, &status) != 0)
            throw new IOException($"VFIO_GROUP_GET_STATUS on /dev/vfio/{group} failed: errno {Marshal.GetLastPInvokeError()}");
        return (status.flags & VfioIoctl.VFIO_GROUP_FLAGS_VIABLE) != 0;
    }
}
