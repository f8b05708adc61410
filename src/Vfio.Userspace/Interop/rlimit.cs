using System.Runtime.InteropServices;

namespace Vfio.Userspace.Interop;

/// <summary>struct rlimit from sys/resource.h (64-bit rlim_t).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct rlimit
{
    public ulong rlim_cur;
    public ulong rlim_max;
}
