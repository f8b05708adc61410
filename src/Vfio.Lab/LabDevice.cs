namespace Vfio.Lab;

/// <summary>A PCI function of a topology as the guest sees it.</summary>
/// <param name="Address">Guest PCI address, <c>0000:BB:DD.F</c> (stable: every device has a fixed bus and slot).</param>
/// <param name="Id">Vendor and device id, <c>vvvv:dddd</c>.</param>
/// <param name="Model">What it is (QEMU device model or chipset function).</param>
/// <param name="Role">What it is for in the topology, and its driver in the guest.</param>
/// <param name="Group">Its IOMMU group membership as observed on 6.12 and 6.1.</param>
public sealed record LabDevice(string Address, string Id, string Model, string Role, string Group);
