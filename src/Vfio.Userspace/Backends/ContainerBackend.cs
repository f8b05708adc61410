using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// The container backend: the device's group opened and attached to a new container with the type1v2
/// IOMMU, and the device opened through its group. Dispose unsets the container (EBUSY while a device fd
/// of the group is open), then closes the container and the group (kernel-facts section 5).
/// </summary>
internal sealed class ContainerBackend : SessionBackend
{
    private ContainerBackend(VfioContainer container, VfioGroup group)
    {
        Container = container;
        Group = group;
    }

    public VfioContainer Container { get; }

    public VfioGroup Group { get; }

    public override VfioBackend Kind => VfioBackend.Container;

    public override DmaSpace Dma => Container;

    public static ContainerBackend Open(PciAddress address, SystemPaths paths)
    {
        int number = VfioGroup.NumberOf(address, paths);
        VfioGroup? group = null;
        VfioContainer? container = null;
        bool attached = false;
        try
        {
            // The group first: its errors (missing node, not granted, busy) are the likely ones and the
            // most useful to report; the container node is world-accessible.
            group = VfioGroup.Open(number, paths, address.ToString());
            container = VfioContainer.Open(paths.ContainerNode);
            group.SetContainer(container);
            attached = true;
            // A no-IOMMU group takes only the no-IOMMU model (kernel-facts section 5d).
            container.SetIommu(group.IsNoIommu ? VfioExtension.NoIommu : VfioExtension.Type1v2);
            return new ContainerBackend(container, group);
        }
        catch
        {
            if (attached) TryUnset(group!);
            container?.Dispose();
            group?.Dispose();
            throw;
        }
    }

    public override VfioDevice OpenDevice(PciAddress address, VfioDeviceOptions? options) => Group.GetDevice(address, options);

    public override void Dispose()
    {
        // Detach the group; the last group leaving tears the container's IOMMU down.
        TryUnset(Group);
        // Container, then the group node (kernel-facts section 5).
        Container.Dispose();
        Group.Dispose();
    }

    private static void TryUnset(VfioGroup group)
    {
        // Closing the group fd also detaches it; a failed unset must not stop the rest of the teardown.
        try { group.UnsetContainer(); }
        catch (VfioException) { }
        catch (ObjectDisposedException) { }
    }
}
