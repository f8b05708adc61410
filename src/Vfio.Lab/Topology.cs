namespace Vfio.Lab;

/// <summary>
/// A named guest machine: the QEMU devices added to the lab's base machine
/// (q35, emulated Intel IOMMU), the disks they need, the guest-side setup
/// that runs before the command, and the resulting guest PCI functions.
/// </summary>
public sealed class Topology
{
    private readonly Func<Func<string, string>, IReadOnlyList<string>> _qemuArguments;

    internal Topology(string name, string description, IReadOnlyList<LabDevice> devices, IReadOnlyList<LabDisk> disks,
        Func<Func<string, string>, IReadOnlyList<string>> qemuArguments, string? guestSetup = null)
    {
        Name = name;
        Description = description;
        Devices = devices;
        Disks = disks;
        _qemuArguments = qemuArguments;
        GuestSetup = guestSetup;
    }

    /// <summary>The topology's name (<c>--topology</c>, VFIOCTL_LAB_TOPOLOGY in the guest).</summary>
    public string Name { get; }

    public string Description { get; }

    /// <summary>Every PCI function of the guest, including the lab's own plumbing and the chipset's.</summary>
    public IReadOnlyList<LabDevice> Devices { get; }

    /// <summary>Disk images created for each run.</summary>
    public IReadOnlyList<LabDisk> Disks { get; }

    /// <summary>Shell run (sourced) by the guest setup after drivers are bound and before the command; null when none.</summary>
    public string? GuestSetup { get; }

    /// <summary>QEMU arguments for the topology's devices; <paramref name="diskPath"/> maps a disk id to its image.</summary>
    public IReadOnlyList<string> QemuArguments(Func<string, string> diskPath) => _qemuArguments(diskPath);

    public override string ToString() => Name;
}
