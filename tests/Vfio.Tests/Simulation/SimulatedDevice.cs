namespace Vfio.Tests.Simulation;

/// <summary>The kernel's side of one PCI function in a <see cref="SimulatedKernel"/> (its <c>struct pci_dev</c>, as far as binding goes).</summary>
internal sealed class SimulatedDevice
{
    /// <summary>dev_name(): "0000:00:02.0".</summary>
    public required string Name { get; init; }

    /// <summary>The device's canonical sysfs directory (<c>/sys/devices/pci0000:00/0000:00:02.0</c>).</summary>
    public required string Directory { get; init; }

    public required int? Group { get; init; }

    /// <summary>
    /// True for a type 0 (normal) header: <c>config</c> byte 0x0e without the multifunction bit.
    /// vfio-pci refuses anything else (bridges).
    /// </summary>
    public required bool NormalHeader { get; init; }

    /// <summary>
    /// The driver the device had in the captured tree: the one whose id table matched and whose
    /// probe succeeded. Stands for the static id tables the simulation does not have.
    /// </summary>
    public required string? NativeDriver { get; init; }

    /// <summary>dev->driver; still set while a blocked unbind waits in the driver's remove.</summary>
    public string? Driver { get; set; }

    /// <summary>pdev->driver_override.</summary>
    public string? Override { get; set; }

    /// <summary>
    /// An unbind is blocked in the driver's remove (vfio-pci waiting for a device fd to be
    /// closed): the device lock is held and dev->driver is still set.
    /// </summary>
    public BlockedWrite? Unbinding { get; set; }

    /// <summary>The SR-IOV state when this is a PF (it has <c>sriov_totalvfs</c>).</summary>
    public SimulatedSriov? Sriov { get; init; }

    /// <summary>For a VF: its PF (<c>physfn</c>).</summary>
    public SimulatedDevice? PhysFn { get; set; }

    /// <summary>For a VF: N of the PF's <c>virtfnN</c> link.</summary>
    public int VfIndex { get; set; }

    /// <summary>True while a blocked write holds the device lock (an unbind in the driver's remove, or a removal of its VFs).</summary>
    public bool Locked => Unbinding is not null || Sriov?.PendingRemoval is not null;

    /// <summary>Writes waiting for the device lock the blocked unbind holds, in arrival order.</summary>
    public List<BlockedWrite> WaitingForLock { get; } = [];

    public override string ToString() => $"{Name} driver={Driver ?? "-"} override={Override ?? "(null)"}";
}
