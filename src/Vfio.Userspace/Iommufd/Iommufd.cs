using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// An open iommufd (<c>/dev/iommu</c>): the kernel's IOMMU context object store. I/O address spaces
/// (<see cref="IommufdIoas"/>) are allocated in it, and VFIO device cdevs are bound to it
/// (docs/kernel-facts.md section 5b). Closing it frees every object it holds; close the devices bound
/// to it first (<see cref="VfioSession"/> does).
/// </summary>
public sealed class Iommufd : IDisposable
{
    /// <summary>The node the kernel creates when the iommufd module is loaded.</summary>
    public const string DefaultPath = "/dev/iommu";

    private Iommufd(FileDescriptorHandle handle, string path)
    {
        Handle = handle;
        Path = path;
    }

    internal FileDescriptorHandle Handle { get; }

    /// <summary>The node this was opened from, normally <c>/dev/iommu</c>.</summary>
    public string Path { get; }

    /// <summary>Opens <c>/dev/iommu</c>.</summary>
    /// <exception cref="VfioException"><see cref="VfioErrorKind.IommuUnavailable"/> when the node is missing (no iommufd in this kernel,
    /// or the module not loaded); <see cref="VfioErrorKind.Failed"/> with EACCES when this user may not open it.</exception>
    public static Iommufd Open(string path = DefaultPath)
    {
        var handle = Libc.OpenHandle(path, out Errno errno);
        if (!handle.IsInvalid) return new Iommufd(handle, path);
        handle.Dispose();
        throw OpenError(path, errno);
    }

    /// <summary>Opens the node, or returns null with the errno when it is missing or not accessible (the automatic backend choice falls back then).</summary>
    internal static Iommufd? TryOpen(string path, out Errno errno)
    {
        var handle = Libc.OpenHandle(path, out errno);
        if (!handle.IsInvalid) return new Iommufd(handle, path);
        handle.Dispose();
        return null;
    }

    internal static VfioException OpenError(string path, Errno errno) => errno switch
    {
        Errno.ENOENT => new VfioException(VfioErrorKind.IommuUnavailable, "open " + path, path, errno,
            $"{path} does not exist: this kernel has no iommufd (CONFIG_IOMMUFD; Debian's kernels up to 7.2 are built without it), or the module is not loaded.",
            "load it with `modprobe iommufd` as root, or use the container backend (VfioBackend.Container), which every kernel with VFIO has."),
        Errno.EACCES or Errno.EPERM => new VfioException(VfioErrorKind.IommuUnavailable, "open " + path, path, errno,
            $"{path} is not accessible to this user (uid {Libc.GetEuid()}).",
            $"grant it as root (`chown {Libc.GetEuid()} {path}`, with the device's /dev/vfio/devices/vfioN), or use the container backend with a granted group node."),
        _ => new VfioException(VfioErrorKind.Failed, "open " + path, path, errno, $"the kernel refused to open {path}."),
    };

    /// <summary>IOMMU_IOAS_ALLOC: a new, empty I/O address space. Attach devices to it, then map DMA.</summary>
    public unsafe IommufdIoas AllocateIoas()
    {
        var alloc = new iommu_ioas_alloc { size = (uint)sizeof(iommu_ioas_alloc) };
        int r = Ioctl.Call(Handle, IommufdIoctl.IOMMU_IOAS_ALLOC, &alloc);
        if (r < 0)
            throw new VfioException(VfioErrorKind.Failed, "IOMMU_IOAS_ALLOC", Path, Ioctl.Error(r), "the kernel did not allocate an I/O address space.",
                Ioctl.Error(r) == Errno.ENOMEM ? "the system is out of memory for kernel objects." : null);
        return new IommufdIoas(this, alloc.out_ioas_id);
    }

    /// <summary>IOMMU_DESTROY of an object id; returns the errno, 0 on success.</summary>
    internal unsafe Errno Destroy(uint id)
    {
        var destroy = new iommu_destroy { size = (uint)sizeof(iommu_destroy), id = id };
        int r = Ioctl.Call(Handle, IommufdIoctl.IOMMU_DESTROY, &destroy);
        return r < 0 ? Ioctl.Error(r) : 0;
    }

    /// <summary>Closes the fd; the kernel frees every object still in it.</summary>
    public void Dispose() => Handle.Dispose();
}
