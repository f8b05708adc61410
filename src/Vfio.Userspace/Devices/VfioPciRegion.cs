namespace Vfio.Userspace;

/// <summary>vfio-pci's fixed region indexes (VFIO_PCI_*_REGION_INDEX; kernel-facts section 5).</summary>
public enum VfioPciRegion
{
    /// <summary>BAR 0.</summary>
    Bar0 = 0,
    /// <summary>BAR 1.</summary>
    Bar1 = 1,
    /// <summary>BAR 2.</summary>
    Bar2 = 2,
    /// <summary>BAR 3.</summary>
    Bar3 = 3,
    /// <summary>BAR 4.</summary>
    Bar4 = 4,
    /// <summary>BAR 5.</summary>
    Bar5 = 5,
    /// <summary>The expansion ROM.</summary>
    Rom = 6,
    /// <summary>Configuration space (256 bytes, or 4 KiB for PCIe).</summary>
    Config = 7,
    /// <summary>Legacy VGA ranges (VGA class devices only).</summary>
    Vga = 8,
}
