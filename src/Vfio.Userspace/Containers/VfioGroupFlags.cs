namespace Vfio.Userspace;

/// <summary>The flags of VFIO_GROUP_GET_STATUS (kernel-facts section 2).</summary>
[Flags]
public enum VfioGroupFlags : uint
{
    /// <summary>Neither viable nor in a container.</summary>
    None = 0,
    /// <summary>VFIO_GROUP_FLAGS_VIABLE: no kernel driver owns DMA in the group, so it may be used.</summary>
    Viable = 1,
    /// <summary>VFIO_GROUP_FLAGS_CONTAINER_SET: the group is attached to a container.</summary>
    ContainerSet = 2,
}
