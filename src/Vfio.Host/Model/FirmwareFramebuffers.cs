namespace Vfio.Host.Model;

/// <summary>A name that reserves a GPU's BAR for the firmware framebuffer in <c>/proc/iomem</c>, what it is and how to free it.</summary>
public sealed record FramebufferOwner(string Name, string What, string Fix);

/// <summary>
/// The owners known to keep a boot GPU's BAR reserved after boot, so that vfio-pci cannot reserve
/// it ("BAR N: can't reserve [mem ...]"), each with its fix. The one list vfioctl judges by
/// (kernel-facts section 10).
/// </summary>
public static class FirmwareFramebuffers
{
    public static IReadOnlyList<FramebufferOwner> Known { get; } =
    [
        new("BOOTFB",
            "the firmware framebuffer, registered at boot by the kernel's sysfb as a simple-framebuffer platform device",
            "boot with initcall_blacklist=sysfb_init on the kernel command line (sysfb then registers no framebuffer device and nothing reserves the BAR; the host has no graphical console until a real GPU driver loads)"),
        new("simpledrm",
            "the simpledrm driver, bound to the simple-framebuffer platform device",
            "unbind it (echo simple-framebuffer.0 > /sys/bus/platform/drivers/simple-framebuffer/unbind): that releases simpledrm's own claim only; a BOOTFB reservation around it stays until a boot with initcall_blacklist=sysfb_init"),
        new("efifb",
            "the efifb framebuffer driver, on the EFI framebuffer",
            "boot with video=efifb:off, or unbind it now: echo efi-framebuffer.0 > /sys/bus/platform/drivers/efi-framebuffer/unbind"),
        new("vesafb",
            "the vesafb framebuffer driver, on the VESA framebuffer",
            "boot with video=vesafb:off, or unbind it now: echo vesa-framebuffer.0 > /sys/bus/platform/drivers/vesa-framebuffer/unbind"),
        new("vga16fb",
            "the vga16fb framebuffer driver",
            "boot with video=vga16fb:off, or keep the vga16fb module from loading (blacklist vga16fb in /etc/modprobe.d)"),
    ];

    /// <summary>The known owner of that name, or null.</summary>
    public static FramebufferOwner? Find(string name)
    {
        foreach (var o in Known)
            if (string.Equals(o.Name, name, StringComparison.Ordinal)) return o;
        return null;
    }
}
