using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Vfio.RealKernel.Tests;

/// <summary>
/// The kernel's own answer to "is this group viable": VFIO_GROUP_GET_STATUS on /dev/vfio/N
/// (kernel-facts section 2). Used as the oracle the host model's verdicts are checked against.
/// </summary>
internal static partial class VfioGroupStatus
{
    private const uint VFIO_GROUP_GET_STATUS = 0x3B67;
    private const uint VFIO_GROUP_FLAGS_VIABLE = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct vfio_group_status
    {
        public uint argsz;
        public uint flags;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(SafeFileHandle fd, nuint request, ref vfio_group_status arg);

    /// <summary>True when the kernel says the group is viable; throws with errno when it cannot be asked.</summary>
    public static bool IsViable(int group)
    {
        using var fd = File.OpenHandle($"/dev/vfio/{group}", FileMode.Open, FileAccess.ReadWrite);
        var status = new vfio_group_status { argsz = (uint)Marshal.SizeOf<vfio_group_status>() };
        if (ioctl(fd, VFIO_GROUP_GET_STATUS, ref status) != 0)
            throw new IOException($"VFIO_GROUP_GET_STATUS on /dev/vfio/{group} failed: errno {Marshal.GetLastPInvokeError()}");
        return (status.flags & VFIO_GROUP_FLAGS_VIABLE) != 0;
    }
}
