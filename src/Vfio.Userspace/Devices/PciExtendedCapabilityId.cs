namespace Vfio.Userspace;

/// <summary>PCI Express extended capability ids (PCI_EXT_CAP_ID_* in linux/pci_regs.h), the common ones.</summary>
public enum PciExtendedCapabilityId : ushort
{
    /// <summary>Advanced error reporting.</summary>
    Aer = 0x01,
    /// <summary>Virtual channel.</summary>
    VirtualChannel = 0x02,
    /// <summary>Device serial number.</summary>
    SerialNumber = 0x03,
    /// <summary>Power budgeting.</summary>
    PowerBudgeting = 0x04,
    /// <summary>Root complex link declaration.</summary>
    RootComplexLinkDeclaration = 0x05,
    /// <summary>Root complex internal link control.</summary>
    RootComplexInternalLink = 0x06,
    /// <summary>Root complex event collector endpoint association.</summary>
    RootComplexEventCollector = 0x07,
    /// <summary>Multi-function virtual channel.</summary>
    MultiFunctionVirtualChannel = 0x08,
    /// <summary>Virtual channel (second id).</summary>
    VirtualChannel9 = 0x09,
    /// <summary>Root complex register block.</summary>
    RootComplexRegisterBlock = 0x0a,
    /// <summary>Vendor specific extended capability.</summary>
    VendorSpecific = 0x0b,
    /// <summary>Configuration access correlation.</summary>
    ConfigAccessCorrelation = 0x0c,
    /// <summary>Access control services.</summary>
    Acs = 0x0d,
    /// <summary>Alternative routing-id interpretation.</summary>
    Ari = 0x0e,
    /// <summary>Address translation services.</summary>
    Ats = 0x0f,
    /// <summary>Single root I/O virtualisation.</summary>
    SrIov = 0x10,
    /// <summary>Multi-root I/O virtualisation.</summary>
    MrIov = 0x11,
    /// <summary>Multicast.</summary>
    Multicast = 0x12,
    /// <summary>Page request interface.</summary>
    PageRequest = 0x13,
    /// <summary>Resizable BAR.</summary>
    ResizableBar = 0x15,
    /// <summary>Dynamic power allocation.</summary>
    DynamicPowerAllocation = 0x16,
    /// <summary>TPH requester.</summary>
    TphRequester = 0x17,
    /// <summary>Latency tolerance reporting.</summary>
    LatencyTolerance = 0x18,
    /// <summary>Secondary PCI Express.</summary>
    SecondaryPciExpress = 0x19,
    /// <summary>Process address space id.</summary>
    Pasid = 0x1b,
    /// <summary>L1 PM substates.</summary>
    L1Substates = 0x1e,
    /// <summary>Precision time measurement.</summary>
    PrecisionTimeMeasurement = 0x1f,
    /// <summary>Data link feature.</summary>
    DataLinkFeature = 0x25,
    /// <summary>Physical layer 16 GT/s.</summary>
    PhysicalLayer16 = 0x26,
    /// <summary>Designated vendor specific.</summary>
    DesignatedVendorSpecific = 0x23,
}
