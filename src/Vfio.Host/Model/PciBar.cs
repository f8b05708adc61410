using System.Collections.Immutable;

namespace Vfio.Host.Model;

/// <summary>Which resource of a function a <see cref="PciBar"/> is.</summary>
public enum BarSlot
{
    /// <summary>A base address register, index 0-5.</summary>
    Bar,
    /// <summary>The expansion ROM.</summary>
    Rom,
    /// <summary>An SR-IOV VF BAR of a PF (index 0-5): the size is per VF.</summary>
    VfBar,
}

/// <summary>
/// One memory or I/O resource of a PCI function, from its <c>resource</c> file: where the firmware
/// or kernel placed it, its size and kind (kernel-facts section 8).
/// </summary>
public sealed record PciBar
{
    public required BarSlot Slot { get; init; }
    /// <summary>0-5 for BARs and VF BARs; 6 for the ROM.</summary>
    public required int Index { get; init; }
    public required ulong Start { get; init; }
    public required ulong Size { get; init; }
    /// <summary>I/O ports (otherwise memory).</summary>
    public bool IsIo { get; init; }
    public bool Is64Bit { get; init; }
    public bool Prefetchable { get; init; }
    /// <summary>The kernel has not assigned it an address (IORESOURCE_UNSET).</summary>
    public bool Unassigned { get; init; }
    /// <summary>From the Resizable BAR capability, when the device has one for this BAR: the sizes it supports (bytes), smallest first.</summary>
    public ImmutableArray<ulong> ResizableSizes { get; init; } = [];
    /// <summary>From the Resizable BAR capability: the size it is set to now (bytes).</summary>
    public ulong? ResizableCurrent { get; init; }

    /// <summary>"BAR 2", "ROM", "VF BAR 0".</summary>
    public string Name => Slot switch
    {
        BarSlot.Rom => "ROM",
        BarSlot.VfBar => $"VF BAR {Index}",
        _ => $"BAR {Index}",
    };
}
