using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Vfio.Execution.Kernel;
using Vfio.Interop;
using static Vfio.Userspace.Interop.VfioIoctl;

namespace Vfio.RealKernel.Tests;

/// <summary>
/// The fds a userspace driver keeps, opened with raw ioctls for the tests only (the library's
/// own VFIO layer is not used here, so the tests check the kernel, not the library): the group,
/// a container attached to it with the type1 IOMMU set (claiming the group's DMA ownership), and
/// device fds from VFIO_GROUP_GET_DEVICE_FD, each asked for as "NAME OPTIONS" (<c>vf_token=UUID</c>).
/// Disposing closes the devices first, then the group, then the container. Errors carry the
/// kernel's errno (ENOENT: no node; EBUSY: already open; EPERM: not viable; ENODEV: no type1;
/// EACCES / EINVAL: the VF token rules).
/// </summary>
internal sealed class VfioGroupHold : IDisposable
{
    private readonly SafeFileHandle _group;
    private readonly SafeFileHandle _container;
    private readonly List<(string Name, SafeFileHandle Fd)> _devices;
    private bool _disposed;

    private VfioGroupHold(SafeFileHandle group, SafeFileHandle container, List<(string, SafeFileHandle)> devices)
    {
        _group = group;
        _container = container;
        _devices = devices;
    }

    /// <summary>
    /// Opens group <paramref name="group"/> and a device fd for each member on vfio-pci (or only
    /// <paramref name="only"/>), asking with <paramref name="options"/> after the name.
    /// </summary>
    public static VfioGroupHold Open(int group, string? options = null, string? only = null)
    {
        var node = $"/dev/vfio/{group}";
        var groupFd = OpenNode(node);
        SafeFileHandle? container = null;
        var devices = new List<(string, SafeFileHandle)>();
        try
        {
            container = OpenNode("/dev/vfio/vfio");
            int containerFd = (int)container.DangerousGetHandle();
            if (IoctlInt(groupFd, VFIO_GROUP_SET_CONTAINER, ref containerFd) != 0)
                throw LastError($"VFIO_GROUP_SET_CONTAINER on {node}");
            if (IoctlValue(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) != 0)
                throw LastError("VFIO_SET_IOMMU (VFIO_TYPE1v2_IOMMU)");
            foreach (var member in Directory.EnumerateFileSystemEntries($"/sys/kernel/iommu_groups/{group}/devices").Select(Path.GetFileName).OfType<string>().Order())
            {
                if (only is not null ? member != only : Guest.DriverOf(PciAddress.Parse(member)) != "vfio-pci") continue;
                int fd = IoctlString(groupFd, VFIO_GROUP_GET_DEVICE_FD, options is null ? member : $"{member} {options}");
                // The options are not repeated in the message: they may hold a token.
                if (fd < 0) throw LastError($"VFIO_GROUP_GET_DEVICE_FD {member}");
                devices.Add((member, new SafeFileHandle(fd, ownsHandle: true)));
            }
            return new VfioGroupHold(groupFd, container, devices);
        }
        catch
        {
            foreach (var (_, d) in devices) d.Dispose();
            groupFd.Dispose();
            container?.Dispose();
            throw;
        }
    }

    /// <summary>VFIO_DEVICE_FEATURE with SET | PCI_VF_TOKEN on an open PF: 16 bytes in RFC 4122 order follow the header.</summary>
    public void SetVfToken(string device, VfToken token)
    {
        var fd = _devices.Single(d => d.Name == device).Fd;
        Span<byte> buffer = stackalloc byte[8 + 16];
        BitConverter.TryWriteBytes(buffer, (uint)buffer.Length);                                            // argsz
        BitConverter.TryWriteBytes(buffer[4..], VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN); // flags
        token.ToRfc4122Bytes().CopyTo(buffer[8..]);
        if (IoctlBuffer(fd, VFIO_DEVICE_FEATURE, ref MemoryMarshal.GetReference(buffer)) != 0)
            throw LastError($"VFIO_DEVICE_FEATURE SET|PCI_VF_TOKEN on {device}");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var (_, d) in _devices) d.Dispose();
        _group.Dispose();
        _container.Dispose();
    }

    private static SafeFileHandle OpenNode(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new KernelException($"opening {path}", Errno.ENOENT);
        }
        catch (UnauthorizedAccessException)
        {
            throw new KernelException($"opening {path}", Errno.EACCES);
        }
        catch (IOException e)
        {
            // .NET puts the raw errno into HResult for errors it has no exception type for (EBUSY).
            throw new KernelException($"opening {path}", e.HResult is > 0 and < 4096 ? (Errno)e.HResult : Errno.EIO);
        }
    }

    private static KernelException LastError(string operation) => new(operation, ErrnoInfo.FromLastPInvokeError());

    // The raw ioctls through the solution's one libc declaration (Vfio.Interop); errno stays readable
    // with Marshal.GetLastPInvokeError.
    private static unsafe int IoctlInt(SafeFileHandle fd, nuint request, ref int argument)
    {
        fixed (int* p = &argument) return Libc.Ioctl(fd, request, p);
    }

    private static int IoctlValue(SafeFileHandle fd, nuint request, nuint argument) => Libc.Ioctl(fd, request, (nint)argument);

    private static unsafe int IoctlString(SafeFileHandle fd, nuint request, string argument)
    {
        var bytes = Encoding.UTF8.GetBytes(argument + "\0");
        fixed (byte* p = bytes) return Libc.Ioctl(fd, request, p);
    }

    private static unsafe int IoctlBuffer(SafeFileHandle fd, nuint request, ref byte argument)
    {
        fixed (byte* p = &argument) return Libc.Ioctl(fd, request, p);
    }
}
