using Vfio.Host.Model;

namespace Vfio.Policy.Viability;

/// <summary>Where the host runs, as far as the no-IOMMU advice is concerned.</summary>
public enum MachineKind
{
    BareMetal,
    /// <summary>The CPU reports the hypervisor flag: the IOMMU has to come from the hypervisor.</summary>
    VirtualMachine,
}

/// <summary>Explains why a host shows no IOMMU groups and what to change: firmware and kernel command line on bare metal, the hypervisor in a virtual machine.</summary>
public static class IommuDiagnosis
{
    public static MachineKind KindOf(HostState host) => host.Machine.Hypervisor ? MachineKind.VirtualMachine : MachineKind.BareMetal;

    /// <summary>"QEMU (Standard PC (Q35 + ICH9, 2009))", "xen", or null when nothing names it.</summary>
    public static string? HypervisorName(HostState host)
    {
        var m = host.Machine;
        if (m.DmiVendor is { } v) return m.DmiProduct is { } p ? $"{v} ({p})" : v;
        return m.HypervisorType;
    }

    /// <summary>Null when the IOMMU is on; otherwise a few sentences: what is wrong and what to do.</summary>
    public static string? Explain(HostState host)
    {
        if (host.IommuEnabled) return null;
        var cmd = " " + (host.CommandLine ?? "") + " ";
        var lines = new List<string> { "No IOMMU groups: the kernel has no active IOMMU, so no device can be given to userspace safely." };
        if (cmd.Contains(" intel_iommu=off ") || cmd.Contains(" amd_iommu=off ") || cmd.Contains(" iommu=off "))
            lines.Add("The kernel command line turns the IOMMU off (" + string.Join(" ", cmd.Split(' ').Where(a => a.EndsWith("iommu=off", StringComparison.Ordinal))) + "): remove that.");
        if (KindOf(host) == MachineKind.VirtualMachine)
        {
            var name = HypervisorName(host);
            lines.Add($"This is a virtual machine (the CPU reports the hypervisor flag{(name is null ? "" : $"; {name}")}): its IOMMU can only come from the hypervisor, firmware settings inside it change nothing.");
            if (host.IommuUnits.Length > 0)
                lines.Add($"IOMMU units exist ({string.Join(", ", host.IommuUnits)}) but expose no groups: boot the guest with intel_iommu=on (an emulated Intel IOMMU) and without iommu=off.");
            lines.Add("- QEMU/KVM: give the guest an IOMMU with -machine q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on (or -device virtio-iommu-pci), "
                + "in libvirt <iommu model='intel'><driver intremap='on' caching_mode='on'/></iommu> with <ioapic driver='qemu'/>, then boot the guest with intel_iommu=on.");
            lines.Add("- A cloud or Firecracker VM: only an instance type or VMM that exposes an IOMMU to the guest helps (Firecracker exposes none).");
            lines.Add("- Or vfio's no-IOMMU mode (modprobe vfio enable_unsafe_noiommu_mode=1): devices open as /dev/vfio/noiommu-N with no DMA isolation at all (the device can write anywhere in this VM's memory); DPDK can use it, QEMU cannot.");
        }
        else
        {
            if (host.IommuUnits.Length == 0)
                lines.Add("No IOMMU unit was initialised (/sys/class/iommu is empty): enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup.");
            else
                lines.Add($"IOMMU units exist ({string.Join(", ", host.IommuUnits)}) but expose no groups: the IOMMU is probably in a disabled or pass-through-only mode.");
            lines.Add("Then boot with intel_iommu=on (Intel) or amd_iommu=on (AMD), optionally iommu=pt, on the kernel command line (for GRUB: GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub and reboot).");
        }
        if (host.NoIommuMode)
            lines.Add("vfio's unsafe no-IOMMU mode is on: devices can be opened as /dev/vfio/noiommu-N, without any DMA isolation.");
        return string.Join(Environment.NewLine, lines);
    }
}
