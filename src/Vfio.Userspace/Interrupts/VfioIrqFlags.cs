namespace Vfio.Userspace;

/// <summary>The flags of VFIO_DEVICE_GET_IRQ_INFO (VFIO_IRQ_INFO_*).</summary>
[Flags]
public enum VfioIrqFlags : uint
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>Signalled through an eventfd.</summary>
    Eventfd = 1 << 0,
    /// <summary>Can be masked and unmasked.</summary>
    Maskable = 1 << 1,
    /// <summary>Masked by the kernel after each interrupt (INTx): unmask to get the next.</summary>
    Automasked = 1 << 2,
    /// <summary>Vectors are enabled as a set: change the count only after disabling the index.</summary>
    NoResize = 1 << 3,
}
