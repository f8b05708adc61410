using Vfio.Host.Model;

namespace Vfio.Policy.Viability;

/// <summary>Explains why a host shows no IOMMU groups and what to change.</summary>
public static class IommuDiagnosis
{
    /// <summary>Null when the IOMMU is on; otherwise a few sentences: what is wrong and what to do.</summary>
    public static string? Explain(HostState host)
    {
        if (host.IommuEnabled) return null;
        var cmd = " " + (host.CommandLine ?? "") + " ";
        var lines = new List<string> { "No IOMMU groups: the kernel has no active IOMMU, so no device can be given to userspace safely." };
        if (cmd.Contains(" intel_iommu=off ") || cmd.Contains(" amd_iommu=off ") || cmd.Contains(" iommu=off "))
            lines.Add("The kernel command line turns the IOMMU off (" + string.Join(" ", cmd.Split(' ').Where(a => a.EndsWith("iommu=off", StringComparison.Ordinal))) + "): remove that.");
        if (host.IommuUnits.Length == 0)
            lines.Add("No IOMMU unit was initialised (/sys/class/iommu is empty): enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup.");
        else
            lines.Add($"IOMMU units exist ({string.Join(", ", host.IommuUnits)}) but expose no groups: the IOMMU is probably in a disabled or pass-through-only mode.");
        lines.Add("Then boot with intel_iommu=on (Intel) or amd_iommu=on (AMD), optionally iommu=pt, on the kernel command line (for GRUB: GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub and reboot).");
        if (host.NoIommuMode)
            lines.Add("vfio's unsafe no-IOMMU mode is on: devices can be opened as /dev/vfio/noiommu-N, without any DMA isolation.");
        return string.Join(Environment.NewLine, lines);
    }
}
