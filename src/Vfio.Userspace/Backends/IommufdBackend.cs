using System.Globalization;
using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// The iommufd backend: <c>/dev/iommu</c> opened, one I/O address space allocated in it, and the device
/// opened through its own cdev <c>/dev/vfio/devices/vfioN</c>, bound to the iommufd
/// (VFIO_DEVICE_BIND_IOMMUFD, with the VF token when one is given) and attached to the IOAS
/// (VFIO_DEVICE_ATTACH_IOMMUFD_PT). No group fd is involved (docs/kernel-facts.md section 5b).
/// Dispose (after the device is closed, which unbinds it) destroys the IOAS and closes the iommufd.
/// </summary>
internal sealed class IommufdBackend : SessionBackend
{
    /// <summary>The first kernel whose cdev bind takes a VF token (VFIO_DEVICE_BIND_FLAG_TOKEN).</summary>
    internal static readonly Version BindTokenKernel = new(6, 17);

    private readonly SystemPaths _paths;

    private IommufdBackend(Iommufd iommufd, IommufdIoas ioas, SystemPaths paths)
    {
        Iommufd = iommufd;
        Ioas = ioas;
        _paths = paths;
    }

    public Iommufd Iommufd { get; }

    public IommufdIoas Ioas { get; }

    public override VfioBackend Kind => VfioBackend.Iommufd;

    public override DmaSpace Dma => Ioas;

    /// <summary>The running kernel's version (uname release), or null when it cannot be told.</summary>
    internal static Version? KernelVersion
    {
        get
        {
            var v = Environment.OSVersion.Version;
            return OperatingSystem.IsLinux() && v.Major > 0 ? new Version(v.Major, Math.Max(v.Minor, 0)) : null;
        }
    }

    /// <summary>
    /// Why this device cannot use iommufd here, or null when it can (as far as can be seen without
    /// opening anything): /dev/iommu, the device's cdev in sysfs and its node must exist, and a VF
    /// token needs a kernel whose cdev bind takes one.
    /// </summary>
    internal static string? Unavailable(PciAddress address, SystemPaths paths, VfioDeviceOptions? options) =>
        Unavailable(address, paths, options, KernelVersion);

    internal static string? Unavailable(PciAddress address, SystemPaths paths, VfioDeviceOptions? options, Version? kernel)
    {
        string name = address.ToString();
        if (!File.Exists(paths.IommufdNode))
            return "/dev/iommu does not exist (this kernel has no iommufd, or the module is not loaded)";
        try
        {
            if (paths.GroupOf(name) is { } g && paths.IsNoIommuGroup(g))
                return $"{name} is in a no-IOMMU group (/dev/vfio/noiommu-{g}): this library opens those through the container";
        }
        catch (DirectoryNotFoundException) { }
        if (paths.CdevOf(name) is not { } cdev)
            return $"{name} has no VFIO device cdev (/sys/bus/pci/devices/{name}/vfio-dev/ is missing: the kernel lacks CONFIG_VFIO_DEVICE_CDEV, or the device is not on a vfio driver)";
        if (!File.Exists(paths.DeviceCdevNode(cdev)))
            return $"/dev/vfio/devices/{cdev} does not exist";
        if (options?.VfToken is not null && kernel is { } k && k < BindTokenKernel)
            return string.Create(CultureInfo.InvariantCulture, $"a VF token is given and this kernel ({k}) cannot pass it in the cdev bind (VFIO_DEVICE_BIND_FLAG_TOKEN came in {BindTokenKernel})");
        return null;
    }

    /// <summary>Opens /dev/iommu and allocates the IOAS; throws with the reason and the fix.</summary>
    public static IommufdBackend Open(PciAddress address, SystemPaths paths, VfioDeviceOptions? options)
    {
        if (Unavailable(address, paths, options) is { } why)
        {
            string name = address.ToString();
            bool noIommufd = !File.Exists(paths.IommufdNode);
            throw new VfioException(noIommufd ? VfioErrorKind.IommuUnavailable : VfioErrorKind.NotSupported, "open with the iommufd backend", name,
                noIommufd ? Errno.ENOENT : 0, why + ".",
                noIommufd
                    ? "load it (`modprobe iommufd`) on a kernel built with CONFIG_IOMMUFD, or open with VfioBackend.Container or VfioBackend.Auto."
                    : $"bind the device to vfio-pci (`vfioctl bind {name}`) on a kernel with CONFIG_VFIO_DEVICE_CDEV, or open with VfioBackend.Container or VfioBackend.Auto.");
        }
        var iommufd = Iommufd.Open(paths.IommufdNode);
        try
        {
            return new IommufdBackend(iommufd, iommufd.AllocateIoas(), paths);
        }
        catch
        {
            iommufd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// For the automatic choice: the backend, or null (nothing left open) when iommufd cannot serve
    /// this device or this user; <paramref name="reason"/> says why either way.
    /// </summary>
    public static IommufdBackend? TryOpen(PciAddress address, SystemPaths paths, VfioDeviceOptions? options, out string reason)
    {
        if (Unavailable(address, paths, options) is { } why)
        {
            reason = why;
            return null;
        }
        var iommufd = Iommufd.TryOpen(paths.IommufdNode, out var errno);
        if (iommufd is null)
        {
            reason = $"/dev/iommu could not be opened ({ErrnoInfo.Name(errno)})";
            return null;
        }
        try
        {
            reason = $"/dev/iommu and the device cdev /dev/vfio/devices/{paths.CdevOf(address.ToString())} are available";
            return new IommufdBackend(iommufd, iommufd.AllocateIoas(), paths);
        }
        catch (VfioException e)
        {
            iommufd.Dispose();
            reason = "IOMMU_IOAS_ALLOC failed: " + e.Detail;
            return null;
        }
    }

    public override VfioDevice OpenDevice(PciAddress address, VfioDeviceOptions? options) =>
        OpenDevice(address, options, mayDecline: false, out _)!;

    /// <summary>
    /// Opens the cdev, binds it to the iommufd and attaches it to the IOAS. With
    /// <paramref name="mayDecline"/>, a failure the container backend may not have (the node not
    /// accessible to this user) returns null with the reason instead of throwing; nothing stays open.
    /// </summary>
    public unsafe VfioDevice? OpenDevice(PciAddress address, VfioDeviceOptions? options, bool mayDecline, out string? declined)
    {
        declined = null;
        string name = address.ToString();
        string cdev = _paths.CdevOf(name) ?? throw new VfioException(VfioErrorKind.DeviceOpenFailed, "find the device cdev", name, Errno.ENOENT,
            $"{name} has no VFIO device cdev (/sys/bus/pci/devices/{name}/vfio-dev/ is missing).", $"bind it to vfio-pci (`vfioctl bind {name}`).");
        string node = _paths.DeviceCdevNode(cdev);
        string kernelNode = "/dev/vfio/devices/" + cdev;
        var handle = Libc.OpenHandle(node, out Errno errno);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            if (mayDecline && errno is Errno.EACCES or Errno.EPERM or Errno.ENOENT)
            {
                declined = $"{kernelNode} could not be opened by this user ({ErrnoInfo.Name(errno)})";
                return null;
            }
            throw CdevOpenError(name, kernelNode, errno);
        }
        try
        {
            uint devid = Bind(handle, name, kernelNode, options);
            Attach(handle, name, kernelNode);
            // The attach can narrow the IOAS (this device's aperture and reserved regions).
            Ioas.Refresh();
            return new VfioDevice(handle, name, Ioas) { IommufdDeviceId = devid, Cdev = kernelNode };
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private unsafe uint Bind(FileDescriptorHandle device, string name, string node, VfioDeviceOptions? options)
    {
        byte* token = stackalloc byte[16];
        bool withToken = options?.VfToken is { } t;
        if (withToken && !options!.VfToken!.Value.TryWriteBytes(new Span<byte>(token, 16), bigEndian: true, out _))
            throw new InvalidOperationException("a Guid is 16 bytes");
        bool added = false;
        int r;
        try
        {
            Iommufd.Handle.DangerousAddRef(ref added);
            var bind = new vfio_device_bind_iommufd
            {
                argsz = (uint)sizeof(vfio_device_bind_iommufd),
                flags = withToken ? VfioIoctl.VFIO_DEVICE_BIND_FLAG_TOKEN : 0,
                iommufd = (int)Iommufd.Handle.DangerousGetHandle(),
                token_uuid_ptr = withToken ? (ulong)token : 0,
            };
            r = Ioctl.Call(device, VfioIoctl.VFIO_DEVICE_BIND_IOMMUFD, &bind);
            if (r >= 0) return bind.out_devid;
        }
        finally
        {
            if (added) Iommufd.Handle.DangerousRelease();
        }
        var errno = Ioctl.Error(r);
        const string op = "VFIO_DEVICE_BIND_IOMMUFD";
        bool isVf = false;
        try { isVf = _paths.IsVirtualFunction(name); } catch (IOException) { }
        // The kernel's DMA ownership claim fails with EPERM when a member of the group is on a kernel
        // driver that owns DMA (seen on 7.3); explained like the container's refusal, naming the member.
        if (errno is Errno.EPERM or Errno.EBUSY && NotViable(name, node, op, errno) is { } notViable) throw notViable;
        // EBUSY with no such member: the group is open through the legacy API (the bind blocks the group).
        if (errno == Errno.EBUSY) throw BusyError(name, node, errno, op);
        throw errno switch
        {
            Errno.EACCES => new VfioException(VfioErrorKind.VfTokenRejected, op, name, errno,
                withToken ? "the VF token given does not match the one the PF's owner set." : $"{name} needs a VF token{(isVf ? " (it is a VF of a PF driven from userspace)" : "")}.",
                "open it with the PF owner's token: VfioDeviceOptions { VfToken = ... }."),
            Errno.EINVAL when withToken => new VfioException(VfioErrorKind.VfTokenRejected, op, name, errno,
                "the kernel rejected the VF token in the bind: the device is neither a VF of a vfio-pci PF nor a PF with SR-IOV enabled by vfio-pci.",
                "open it without a VF token."),
            Errno.EBUSY => new VfioException(VfioErrorKind.DeviceOpenFailed, op, name, errno,
                $"{name} is already bound to an iommufd, or its IOMMU group is owned by another user of the DMA API.",
                "close the other open of the device, or check the group's drivers with `vfioctl show`."),
            // No member blocks: iommufd's other EPERM at bind is the platform's MSI isolation (seen on 7.3 with intremap=off).
            Errno.EPERM => VfioErrors.UnsafeInterrupts(op, node, errno, "iommufd", _paths),
            _ => new VfioException(VfioErrorKind.DeviceOpenFailed, op, name, errno, $"the kernel refused to bind {node} to the iommufd."),
        };
    }

    /// <summary>
    /// The bind's EPERM (or EBUSY) when the group has a member on a kernel driver that owns DMA (the kernel's DMA
    /// ownership claim fails then), explained like the container's EPERM; null when no member blocks.
    /// </summary>
    private VfioException? NotViable(string name, string node, string op, Errno errno)
    {
        int? group = null;
        try { group = _paths.GroupOf(name); } catch (DirectoryNotFoundException) { }
        if (group is not { } g) return null;
        var members = _paths.Members(g);
        return members.Any(m => !m.AllowsUserOwnership) ? VfioErrors.NotViable(g, members, op, errno, node) : null;
    }

    private unsafe void Attach(FileDescriptorHandle device, string name, string node)
    {
        var attach = new vfio_device_attach_iommufd_pt
        {
            argsz = (uint)sizeof(vfio_device_attach_iommufd_pt),
            pt_id = Ioas.Id,
        };
        int r = Ioctl.Call(device, VfioIoctl.VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
        if (r < 0)
            throw new VfioException(VfioErrorKind.DeviceOpenFailed, "VFIO_DEVICE_ATTACH_IOMMUFD_PT", name, Ioctl.Error(r),
                Ioctl.Error(r) == Errno.EADDRINUSE
                    ? $"{node}'s reserved IOVA regions overlap a mapping already in the I/O address space."
                    : $"the kernel did not attach {node} to I/O address space {Ioas.Id}.",
                Ioctl.Error(r) == Errno.EADDRINUSE ? "attach devices before mapping DMA, or use a separate address space." : null);
    }

    private VfioException CdevOpenError(string name, string node, Errno errno)
    {
        var inv = CultureInfo.InvariantCulture;
        return errno switch
        {
            Errno.ENOENT => new VfioException(VfioErrorKind.DeviceOpenFailed, "open " + node, name, errno,
                $"{node} does not exist: {name} is not on a vfio driver any more.", $"bind it: `vfioctl bind {name}`."),
            Errno.EACCES or Errno.EPERM => new VfioException(VfioErrorKind.DeviceOpenFailed, "open " + node, name, errno,
                string.Create(inv, $"the device node {node} is not accessible to this user (uid {Libc.GetEuid()})."),
                string.Create(inv, $"grant it as root: `chown {Libc.GetEuid()} {node} /dev/iommu`, or open with the container backend and a granted group node.")),
            Errno.EBUSY => BusyError(name, node, errno),
            _ => new VfioException(VfioErrorKind.DeviceOpenFailed, "open " + node, name, errno, $"the kernel refused to open {node}."),
        };
    }

    private VfioException BusyError(string name, string node, Errno errno, string? op = null)
    {
        // A cdev open is refused while the device's group is open through the legacy API.
        int? group = null;
        try { group = _paths.GroupOf(name); } catch (DirectoryNotFoundException) { }
        var holders = group is { } g ? _paths.Holders(SystemPaths.KernelGroupNode(g)) : [];
        string whoLower = holders.Count == 0 ? "" : " It is held by " + string.Join(", ", holders.Select(h => $"pid {h.Pid} ({h.Command}){(h.Pid == Environment.ProcessId ? " = this process" : "")}")) + ".";
        return new VfioException(VfioErrorKind.GroupBusy, op ?? "open " + node, name, errno,
            $"{name} is in use through its group node{(group is { } n ? $" /dev/vfio/{n}" : "")} (or another open of {node}): the kernel does not open a device's cdev while its group is open.{whoLower}",
            "close the group (or stop the program holding it), then retry.");
    }

    public override void Dispose()
    {
        // The device is closed already (which unbinds it from the iommufd); the IOAS and its mappings go next.
        Ioas.Dispose();
        Iommufd.Dispose();
    }
}
