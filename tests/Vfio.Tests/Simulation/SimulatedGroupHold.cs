namespace Vfio.Tests.Simulation;

/// <summary>
/// A simulated process (pid <see cref="Pid"/>, comm "simulated-user") that holds
/// <c>/dev/vfio/N</c> the way a userspace driver does: the group fd, a container with the type1
/// IOMMU set (which claims the group's DMA ownership), and one device fd per member bound to a
/// vfio driver. Disposing it closes them all.
/// </summary>
internal sealed class SimulatedGroupHold(SimulatedKernel kernel, int group, int pid, IReadOnlyList<SimulatedDevice> openDevices) : IDisposable
{
    public int Group { get; } = group;

    public int Pid { get; } = pid;

    /// <summary>Devices with an open device fd: unbinding them blocks until the hold ends.</summary>
    public IReadOnlyList<SimulatedDevice> OpenDevices { get; } = openDevices;

    /// <summary>The PFs whose VF token count this hold's open VFs raised (vf_token->users).</summary>
    public IReadOnlyList<SimulatedSriov> TokenUsers { get; init; } = [];

    /// <summary>Closed by its owner.</summary>
    public bool Released { get; set; }

    /// <summary>True while the holder owns the group's DMA (kernel drivers cannot bind into it).</summary>
    public bool OwnsDma => !Released;

    public void Dispose() => kernel.Release(this);
}
