using Microsoft.Win32.SafeHandles;

namespace Vfio.Interop;

/// <summary>
/// An owned file descriptor (container, group, device or eventfd). Closed exactly once by the
/// runtime's SafeHandle reference counting, so an fd in use by an ioctl on another thread is never
/// closed under it.
/// </summary>
internal sealed class FileDescriptorHandle : SafeHandleMinusOneIsInvalid
{
    public FileDescriptorHandle() : base(ownsHandle: true) { }

    internal FileDescriptorHandle(int fd) : base(ownsHandle: true) => SetHandle(fd);

    /// <summary>The descriptor number, for messages and poll sets only.</summary>
    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
