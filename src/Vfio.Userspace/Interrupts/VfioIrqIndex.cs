namespace Vfio.Userspace;

/// <summary>vfio-pci's IRQ indexes (VFIO_PCI_*_IRQ_INDEX; kernel-facts section 5).</summary>
public enum VfioIrqIndex
{
    /// <summary>Legacy INTx (level-triggered, masked by the kernel after each interrupt until unmasked).</summary>
    Intx = 0,
    /// <summary>MSI.</summary>
    Msi = 1,
    /// <summary>MSI-X.</summary>
    MsiX = 2,
    /// <summary>Error reporting (AER) notification.</summary>
    Err = 3,
    /// <summary>Device request: the kernel asks userspace to release the device.</summary>
    Req = 4,
}
