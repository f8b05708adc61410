using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// A VFIO group (<c>/dev/vfio/N</c>), the unit of ownership: one open at a time, attached to a
/// container before any device in it can be opened. Dispose after its devices are closed and the
/// container is unset.
/// </summary>
public sealed class VfioGroup : IDisposable
{
    internal VfioGroup(FileDescriptorHandle handle, int number, string path, SystemPaths paths, bool noIommu = false)
    {
        IsNoIommu = noIommu;
        Handle = handle;
        Number = number;
        Path = path;
        Paths = paths;
    }

    internal FileDescriptorHandle Handle { get; }

    internal SystemPaths Paths { get; }

    /// <summary>The IOMMU group number N.</summary>
    public int Number { get; }

    /// <summary>The node opened, <c>/dev/vfio/N</c>.</summary>
    public string Path { get; }

    /// <summary>
    /// Whether this is a group vfio made in its unsafe no-IOMMU mode (<c>/dev/vfio/noiommu-N</c>): no IOMMU
    /// confines its device's DMA, and its container takes only the no-IOMMU model, which maps no DMA.
    /// </summary>
    public bool IsNoIommu { get; }

    /// <summary>The container this group is attached to, or null.</summary>
    public VfioContainer? Container { get; private set; }

    /// <summary>
    /// Opens <c>/dev/vfio/N</c>. A missing node means no member is bound to vfio-pci; EACCES means this
    /// user has not been granted the group (chown the node); EBUSY means another process holds it, and
    /// the holders found in /proc are named.
    /// </summary>
    public static VfioGroup Open(int number) => Open(number, SystemPaths.Default);

    internal static VfioGroup Open(int number, SystemPaths paths, string? forDevice = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(number);
        bool noIommu = paths.IsNoIommuGroup(number);
        var path = noIommu ? paths.NoIommuGroupNode(number) : paths.GroupNode(number);
        var handle = Libc.OpenHandle(path, out Errno errno);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            if (noIommu && errno == Errno.EPERM)
                throw new VfioException(VfioErrorKind.GroupNodeNotAccessible, "open " + path, path, errno,
                    $"{path} is a no-IOMMU group: the kernel opens it only for a process with CAP_SYS_RAWIO.",
                    "run the driver as root (no-IOMMU mode gives the device all of memory: it is never for unprivileged users).");
            throw VfioErrors.GroupOpen(number, errno, paths, Libc.GetEuid(), forDevice);
        }
        return new VfioGroup(handle, number, path, paths, noIommu);
    }

    /// <summary>The IOMMU group of a PCI device, from <c>/sys/bus/pci/devices/ADDR/iommu_group</c>.</summary>
    /// <exception cref="VfioException"><see cref="VfioErrorKind.NoIommuGroup"/> when the device is missing or has no group.</exception>
    public static int NumberOf(PciAddress address) => NumberOf(address, SystemPaths.Default);

    internal static int NumberOf(PciAddress address, SystemPaths paths)
    {
        string name = address.ToString();
        int? group;
        try
        {
            group = paths.GroupOf(name);
        }
        catch (DirectoryNotFoundException)
        {
            throw new VfioException(VfioErrorKind.NoIommuGroup, "find IOMMU group", name, Errno.ENOENT,
                $"there is no PCI device {name} (/sys/bus/pci/devices/{name} is missing).", "list the devices with `vfioctl list` and use one of their addresses.");
        }
        return group ?? throw new VfioException(VfioErrorKind.NoIommuGroup, "find IOMMU group", name, 0,
            $"{name} has no IOMMU group: the host has no IOMMU enabled, so VFIO cannot isolate it.",
            "enable the IOMMU in firmware (VT-d / AMD-Vi) and on the kernel command line (intel_iommu=on or amd_iommu=on), then reboot.");
    }

    /// <summary>The group's members, from <c>/sys/kernel/iommu_groups/N/devices</c>, with their drivers.</summary>
    public IReadOnlyList<VfioGroupMember> Members => Paths.Members(Number);

    /// <summary>VFIO_GROUP_GET_STATUS.</summary>
    public unsafe VfioGroupFlags GetStatus()
    {
        var status = new vfio_group_status { argsz = (uint)sizeof(vfio_group_status) };
        int r = Ioctl.Call(Handle, VfioIoctl.VFIO_GROUP_GET_STATUS, &status);
        if (r < 0) throw new VfioException(VfioErrorKind.Failed, "VFIO_GROUP_GET_STATUS", Path, Ioctl.Error(r), "the group did not report its status.");
        return (VfioGroupFlags)status.flags;
    }

    /// <summary>
    /// VFIO_GROUP_SET_CONTAINER. On a non-viable group (EPERM) the error names each member that blocks
    /// and the driver that holds it, with the command that frees it.
    /// </summary>
    public unsafe void SetContainer(VfioContainer container)
    {
        ArgumentNullException.ThrowIfNull(container);
        bool added = false;
        try
        {
            container.Handle.DangerousAddRef(ref added);
            int fd = (int)container.Handle.DangerousGetHandle();
            int r = Ioctl.Call(Handle, VfioIoctl.VFIO_GROUP_SET_CONTAINER, &fd);
            if (r < 0)
            {
                var errno = Ioctl.Error(r);
                throw errno switch
                {
                    // vfio_group_ioctl_set_container: a group whose members are not all driver-managed-DMA safe.
                    Errno.EPERM => VfioErrors.NotViable(Number, Members),
                    Errno.EINVAL => new VfioException(VfioErrorKind.Failed, "VFIO_GROUP_SET_CONTAINER", Path, errno,
                        "the group is already attached to a container.", "unset it first (UnsetContainer)."),
                    _ => new VfioException(VfioErrorKind.Failed, "VFIO_GROUP_SET_CONTAINER", Path, errno,
                        "the kernel refused to attach the group to the container (an IOMMU model mismatch with groups already in it?)."),
                };
            }
        }
        finally
        {
            if (added) container.Handle.DangerousRelease();
        }
        Container = container;
    }

    /// <summary>VFIO_GROUP_UNSET_CONTAINER; every device fd of the group must be closed first.</summary>
    public void UnsetContainer()
    {
        int r = Ioctl.CallValue(Handle, VfioIoctl.VFIO_GROUP_UNSET_CONTAINER, 0);
        if (r < 0)
            throw new VfioException(VfioErrorKind.Failed, "VFIO_GROUP_UNSET_CONTAINER", Path, Ioctl.Error(r),
                Ioctl.Error(r) == Errno.EBUSY ? "a device of the group is still open." : "the group is not attached to a container.",
                Ioctl.Error(r) == Errno.EBUSY ? "dispose every VfioDevice of the group first." : null);
        Container = null;
    }

    /// <summary>
    /// VFIO_GROUP_GET_DEVICE_FD for a device name (a PCI address), with options such as a VF token
    /// appended as the kernel expects (<c>"0000:01:00.1 vf_token=UUID"</c>, kernel-facts section 4).
    /// </summary>
    public unsafe VfioDevice GetDevice(string name, VfioDeviceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        string request = options?.ToDeviceString(name) ?? name;
        byte[] bytes = Encoding.UTF8.GetBytes(request + "\0");
        int r;
        fixed (byte* p = bytes) r = Ioctl.Call(Handle, VfioIoctl.VFIO_GROUP_GET_DEVICE_FD, p);
        if (r < 0) throw DeviceOpenError(name, options, Ioctl.Error(r));
        // The kernel opens a device only in a group attached to a container with its IOMMU set
        // (EINVAL otherwise, above), and the group is attached only through SetContainer.
        var device = new VfioDevice(new FileDescriptorHandle(r), name, Container!);
        return device;
    }

    /// <summary>VFIO_GROUP_GET_DEVICE_FD for a PCI device of this group.</summary>
    public VfioDevice GetDevice(PciAddress address, VfioDeviceOptions? options = null) => GetDevice(address.ToString(), options);

    /// <summary>Closes the group fd (after its devices are closed and the container unset).</summary>
    public void Dispose() => Handle.Dispose();

    private VfioException DeviceOpenError(string name, VfioDeviceOptions? options, Errno errno)
    {
        const string op = "VFIO_GROUP_GET_DEVICE_FD";
        bool token = options?.VfToken is not null;
        bool isVf = false;
        try { isVf = Paths.IsVirtualFunction(name); } catch (IOException) { }
        string group = Number.ToString(CultureInfo.InvariantCulture);
        return errno switch
        {
            // vfio_pci_validate_vf_token: a VF of a vfio-pci PF, or a PF with open VFs, needs the current token.
            Errno.EACCES => new VfioException(VfioErrorKind.VfTokenRejected, op, name, errno,
                token ? "the VF token given does not match the one the PF's owner set." : $"{name} needs a VF token{(isVf ? " (it is a VF of a PF driven from userspace)" : "")}.",
                "open it with the PF owner's token: VfioDeviceOptions { VfToken = ... } (the UUID the PF's userspace driver set)."),
            Errno.EINVAL when token => new VfioException(VfioErrorKind.VfTokenRejected, op, name, errno,
                "the kernel rejected the vf_token option: the device is neither a VF of a vfio-pci PF nor a PF with SR-IOV enabled by vfio-pci.",
                "open it without a VF token."),
            Errno.EINVAL when Container?.IommuModel is null => new VfioException(VfioErrorKind.DeviceOpenFailed, op, name, errno,
                $"IOMMU group {group} is not attached to a container with its IOMMU set.",
                "call SetContainer and then VfioContainer.SetIommu before opening devices (VfioSession.Open does both)."),
            Errno.ENODEV or Errno.EINVAL => new VfioException(VfioErrorKind.DeviceOpenFailed, op, name, errno,
                $"{name} is not a device of IOMMU group {group} bound to a vfio driver (members: {string.Join(", ", Members.Select(m => $"{m.Name} ({m.Driver ?? "no driver"})"))}).",
                $"bind it to vfio-pci (`vfioctl bind {name}`) and open it through its own group."),
            Errno.EBUSY => new VfioException(VfioErrorKind.DeviceOpenFailed, op, name, errno,
                $"{name} is busy: already open, or its driver is being changed.", "close the other open of the device, or retry."),
            _ => new VfioException(VfioErrorKind.DeviceOpenFailed, op, name, errno, $"the kernel refused to open {name}."),
        };
    }
}
