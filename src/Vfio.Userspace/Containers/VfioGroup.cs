using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// A VFIO group (<c>/dev/vfio/N</c>), the unit of ownership: one open at a time, attached to a
/// container before any device in it can be opened. Dispose after its devices are closed and the
/// container is unset.
/// </summary>
public sealed class VfioGroup : IDisposable
{
    internal VfioGroup(FileDescriptorHandle handle, int number, string path, string sysfsRoot)
    {
        Handle = handle;
        Number = number;
        Path = path;
        SysfsRoot = sysfsRoot;
    }

    internal FileDescriptorHandle Handle { get; }

    internal string SysfsRoot { get; }

    /// <summary>The IOMMU group number N.</summary>
    public int Number { get; }

    /// <summary>The node opened, <c>/dev/vfio/N</c>.</summary>
    public string Path { get; }

    /// <summary>The container this group is attached to, or null.</summary>
    public VfioContainer? Container { get; private set; }

    /// <summary>
    /// Opens <c>/dev/vfio/N</c>. A missing node means no member is bound to vfio-pci; EACCES means this
    /// user has not been granted the group (chown the node); EBUSY means another process holds it, and
    /// the holders found in /proc are named.
    /// </summary>
    public static VfioGroup Open(int number) => throw new NotImplementedException();

    /// <summary>The IOMMU group of a PCI device, from <c>/sys/bus/pci/devices/ADDR/iommu_group</c>.</summary>
    /// <exception cref="VfioException"><see cref="VfioErrorKind.NoIommuGroup"/> when the device is missing or has no group.</exception>
    public static int NumberOf(PciAddress address) => throw new NotImplementedException();

    /// <summary>The group's members, from <c>/sys/kernel/iommu_groups/N/devices</c>, with their drivers.</summary>
    public IReadOnlyList<VfioGroupMember> Members => throw new NotImplementedException();

    /// <summary>VFIO_GROUP_GET_STATUS.</summary>
    public VfioGroupFlags GetStatus() => throw new NotImplementedException();

    /// <summary>
    /// VFIO_GROUP_SET_CONTAINER. On a non-viable group (EPERM) the error names each member that blocks
    /// and the driver that holds it, with the command that frees it.
    /// </summary>
    public void SetContainer(VfioContainer container) => throw new NotImplementedException();

    /// <summary>VFIO_GROUP_UNSET_CONTAINER; every device fd of the group must be closed first.</summary>
    public void UnsetContainer() => throw new NotImplementedException();

    /// <summary>
    /// VFIO_GROUP_GET_DEVICE_FD for a device name (a PCI address), with options such as a VF token
    /// appended as the kernel expects (<c>"0000:01:00.1 vf_token=UUID"</c>, kernel-facts section 4).
    /// </summary>
    public VfioDevice GetDevice(string name, VfioDeviceOptions? options = null) => throw new NotImplementedException();

    /// <summary>VFIO_GROUP_GET_DEVICE_FD for a PCI device of this group.</summary>
    public VfioDevice GetDevice(PciAddress address, VfioDeviceOptions? options = null) => GetDevice(address.ToString(), options);

    /// <summary>Closes the group fd (after its devices are closed and the container unset).</summary>
    public void Dispose() => Handle.Dispose();
}
