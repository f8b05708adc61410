namespace Vfio.Host.Model;

/// <summary>
/// What kind of machine the host is (kernel-facts section 8): a virtual machine says so with the
/// <c>hypervisor</c> CPU flag; DMI and <c>/sys/hypervisor</c> name the hypervisor where readable.
/// </summary>
public sealed record MachineFacts
{
    /// <summary>The <c>hypervisor</c> flag of <c>/proc/cpuinfo</c>: the kernel runs in a virtual machine.</summary>
    public bool Hypervisor { get; init; }
    /// <summary><c>/sys/hypervisor/type</c> (xen) where present.</summary>
    public string? HypervisorType { get; init; }
    /// <summary><c>/sys/class/dmi/id/sys_vendor</c> ("QEMU", "Amazon EC2", "Google", ...).</summary>
    public string? DmiVendor { get; init; }
    /// <summary><c>/sys/class/dmi/id/product_name</c> ("Standard PC (Q35 + ICH9, 2009)", ...).</summary>
    public string? DmiProduct { get; init; }
    /// <summary>"address sizes: N bits physical" of <c>/proc/cpuinfo</c>.</summary>
    public int? PhysicalAddressBits { get; init; }
    /// <summary>The CPU vendor of <c>/proc/cpuinfo</c> (GenuineIntel, AuthenticAMD).</summary>
    public string? CpuVendor { get; init; }

    public static MachineFacts Unknown { get; } = new();
}
