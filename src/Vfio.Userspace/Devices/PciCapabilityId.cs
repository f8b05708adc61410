namespace Vfio.Userspace;

/// <summary>Standard PCI capability ids (PCI_CAP_ID_* in linux/pci_regs.h).</summary>
public enum PciCapabilityId : byte
{
    /// <summary>Power management.</summary>
    PowerManagement = 0x01,
    /// <summary>AGP.</summary>
    Agp = 0x02,
    /// <summary>Vital product data.</summary>
    Vpd = 0x03,
    /// <summary>Slot identification.</summary>
    SlotId = 0x04,
    /// <summary>Message signalled interrupts.</summary>
    Msi = 0x05,
    /// <summary>CompactPCI hot swap.</summary>
    CompactPciHotSwap = 0x06,
    /// <summary>PCI-X.</summary>
    PciX = 0x07,
    /// <summary>HyperTransport.</summary>
    HyperTransport = 0x08,
    /// <summary>Vendor specific.</summary>
    VendorSpecific = 0x09,
    /// <summary>Debug port.</summary>
    DebugPort = 0x0a,
    /// <summary>CompactPCI central resource control.</summary>
    CompactPciCrc = 0x0b,
    /// <summary>PCI standard hot-plug controller.</summary>
    HotPlug = 0x0c,
    /// <summary>Bridge subsystem vendor/device id.</summary>
    BridgeSubsystemId = 0x0d,
    /// <summary>AGP 8x.</summary>
    Agp3 = 0x0e,
    /// <summary>Secure device.</summary>
    SecureDevice = 0x0f,
    /// <summary>PCI Express.</summary>
    PciExpress = 0x10,
    /// <summary>MSI-X.</summary>
    MsiX = 0x11,
    /// <summary>SATA data/index configuration.</summary>
    SataConfig = 0x12,
    /// <summary>PCI advanced features.</summary>
    AdvancedFeatures = 0x13,
    /// <summary>Enhanced allocation.</summary>
    EnhancedAllocation = 0x14,
    /// <summary>Flattening portal bridge.</summary>
    FlatteningPortalBridge = 0x15,
}
