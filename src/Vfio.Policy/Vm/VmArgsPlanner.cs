using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Vfio.Host.Model;
using Vfio.Policy.Assignment;
using Vfio.Policy.Drivers;
using Vfio.Policy.Viability;

namespace Vfio.Policy.Vm;

/// <summary>Which VMM configuration <c>vm-args</c> writes.</summary>
public enum VmmFormat
{
    Qemu,
    Libvirt,
}

/// <summary>The VM's firmware: it decides how the 64-bit window is sized.</summary>
public enum VmFirmware
{
    Ovmf,
    SeaBios,
}

/// <summary>What <c>vm-args</c> is asked, and the host facts it needs beyond the host model.</summary>
public sealed record VmArgsRequest
{
    public required ImmutableArray<PciAddress> Devices { get; init; }
    public VmmFormat Format { get; init; } = VmmFormat.Qemu;
    public VmFirmware Firmware { get; init; } = VmFirmware.Ovmf;
    /// <summary>The guest's RAM, bytes: the 64-bit window lies above it.</summary>
    public ulong GuestMemory { get; init; } = 16UL << 30;
    /// <summary><c>/dev/kvm</c> is usable: the guest CPU can take the host's address width.</summary>
    public bool Kvm { get; init; }
    /// <summary>Each device's VFIO cdev (<c>/dev/vfio/devices/vfioN</c>), when <c>/dev/iommu</c> exists too: the iommufd form is written.</summary>
    public ImmutableDictionary<PciAddress, string> Cdevs { get; init; } = ImmutableDictionary<PciAddress, string>.Empty;
}

/// <summary>One function given to the VM, and where it goes in the guest.</summary>
public sealed record VmFunction(PciAddress Host, int Port, int GuestFunction, bool Multifunction);

/// <summary>Everything a VM needs to receive the devices, or why it cannot yet.</summary>
public sealed record VmArgsPlan
{
    public required VmArgsRequest Request { get; init; }
    public ImmutableArray<VmFunction> Functions { get; init; } = [];
    /// <summary>The 64-bit BARs packed at their alignment, bytes.</summary>
    public ulong Bars64 { get; init; }
    /// <summary>The 64-bit MMIO window to give the VM, bytes (a power of two, at least q35's default).</summary>
    public ulong Window { get; init; }
    /// <summary>The guest physical address bits the window needs.</summary>
    public int PhysBits { get; init; }
    public int? HostPhysBits { get; init; }
    public ImmutableArray<Refusal> Refusals { get; init; } = [];
    public ImmutableArray<string> Notes { get; init; } = [];
    /// <summary>QEMU arguments, one per element (empty when refused).</summary>
    public ImmutableArray<string> QemuArgs { get; init; } = [];
    /// <summary>libvirt domain XML fragments with comments saying where each goes (empty when refused).</summary>
    public string? LibvirtXml { get; init; }

    public bool CanApply => Refusals.IsEmpty;
}

/// <summary>
/// Plans <c>vfioctl vm-args</c> (docs/vm.md): checks that each device is on a vfio driver in a
/// whole group, keeps the functions of one slot together as one multifunction device behind its
/// own PCIe root port, sizes the 64-bit MMIO window from the BARs and the address bits it needs
/// (kernel-facts section 8), and writes the QEMU or libvirt form.
/// </summary>
public static class VmArgsPlanner
{
    /// <summary>QEMU's default guest physical address width without KVM (TCG CPU models).</summary>
    public const int QemuDefaultPhysBits = 40;

    private const ulong GiB = 1UL << 30;

    public static VmArgsPlan Plan(HostState host, VmArgsRequest request)
    {
        var refusals = new List<Refusal>();
        var notes = new List<string>();
        var devices = new List<PciDevice>();
        var verdicts = ViabilityEvaluator.EvaluateAll(host);
        foreach (var a in request.Devices)
        {
            var d = host.FindDevice(a);
            if (d is null) { refusals.Add(new Refusal(a, $"no PCI device {a} on this host.", false)); continue; }
            devices.Add(d);
            if (!DriverKinds.OnVfio(d))
            {
                refusals.Add(new Refusal(a, $"{a} is {(d.Driver is null ? "without a driver" : $"on {d.Driver}")}, not on a vfio driver: 'vfioctl bind {a}' first.", false));
                continue;
            }
            if (host.GroupOf(d) is not { } group)
            {
                refusals.Add(new Refusal(a, $"{a} has no IOMMU group: a VMM cannot open it through VFIO ('vfioctl groups' says why).", false));
                continue;
            }
            var verdict = verdicts.GetValueOrDefault(group.Id);
            var others = group.Devices.Where(m => m != a).Select(host.FindDevice).OfType<PciDevice>()
                .Where(m => !m.IsBridge && !DriverKinds.OnVfio(m) && m.Driver != DriverKinds.PciStub && m.Driver is not null).ToList();
            if (verdict is { Viable: false } || others.Count > 0)
                refusals.Add(new Refusal(a, $"group {group.Id} of {a} is not whole on vfio ({string.Join(", ", others.Select(o => $"{o.Address} on {o.Driver}"))}): 'vfioctl bind {a}' moves the whole group.", false));
            var unused = group.Devices.Where(m => m != a && !request.Devices.Contains(m)).Select(host.FindDevice).OfType<PciDevice>()
                .Where(DriverKinds.OnVfio).Select(m => m.Address).ToList();
            if (unused.Count > 0) notes.Add($"{string.Join(", ", unused)} (group {group.Id}, on vfio) stay{(unused.Count == 1 ? "s" : "")} out of the VM; name {(unused.Count == 1 ? "it" : "them")} too to pass {(unused.Count == 1 ? "it" : "them")} through.");
        }

        ulong packed = MmioWindow.Packed(devices);
        ulong window = Math.Max(MmioWindow.Q35DefaultHole64, MmioWindow.RoundUpPowerOfTwo(packed + GiB));
        ulong holeStart = HoleStart(request.GuestMemory);
        // Conservatively, the window at the first address aligned to its own size above RAM.
        ulong end = AlignUp(holeStart, window) + window;
        int bits = Math.Max(QemuDefaultPhysBits, 64 - System.Numerics.BitOperations.LeadingZeroCount(end - 1));
        int? hostBits = host.Machine.PhysicalAddressBits;
        if (hostBits is { } hb && bits > hb)
            refusals.Add(new Refusal(null, $"the VM needs {bits} physical address bits for a {MmioWindow.Human(window)} window above {MmioWindow.Human(request.GuestMemory)} of RAM, more than this host's CPU has ({hb}): give the VM less RAM or fewer devices.", false));
        if (packed > MmioWindow.Q35DefaultHole64)
            notes.Add($"the 64-bit BARs take {MmioWindow.Human(packed)}, more than q35's default window ({MmioWindow.Human(MmioWindow.Q35DefaultHole64)}): without these settings the guest leaves BARs unassigned and its driver fails.");

        var functions = Functions(request.Devices.Where(a => devices.Any(d => d.Address == a)).ToList());
        var plan = new VmArgsPlan
        {
            Request = request,
            Functions = [.. functions],
            Bars64 = packed,
            Window = window,
            PhysBits = bits,
            HostPhysBits = hostBits,
            Refusals = [.. refusals],
            Notes = [.. notes],
        };
        if (!plan.CanApply) return plan;
        return plan with { QemuArgs = [.. QemuArgs(plan)], LibvirtXml = LibvirtXml(plan) };
    }

    /// <summary>Where q35 starts the 64-bit hole: above the RAM that does not fit below 4 GiB (q35 keeps 2 GiB low once RAM exceeds 2.75 GiB), at a 1 GiB boundary.</summary>
    public static ulong HoleStart(ulong memory)
    {
        ulong low = memory > 2816UL << 20 ? 2 * GiB : memory;
        return AlignUp(4 * GiB + (memory - low), GiB);
    }

    private static ulong AlignUp(ulong v, ulong a) => (v + a - 1) / a * a;

    /// <summary>One root port per host slot; the functions of a slot keep their order, the first at function 0 with multifunction on when there are several.</summary>
    private static List<VmFunction> Functions(List<PciAddress> addresses)
    {
        var result = new List<VmFunction>();
        int port = 0;
        foreach (var slot in addresses.Distinct().OrderBy(a => a).GroupBy(a => (a.Domain, a.Bus, a.Device)))
        {
            var fs = slot.ToList();
            for (int i = 0; i < fs.Count; i++) result.Add(new VmFunction(fs[i], port, i, fs.Count > 1 && i == 0));
            port++;
        }
        return result;
    }

    private static List<string> QemuArgs(VmArgsPlan p)
    {
        // A list, not an iterator: Policy stays free of the thread-state calls iterators compile to.
        var args = new List<string>();
        var r = p.Request;
        if (p.Window > MmioWindow.Q35DefaultHole64)
        {
            args.Add("-global");
            args.Add($"q35-pcihost.pci-hole64-size={p.Window >> 30}G");
            if (r.Firmware == VmFirmware.Ovmf)
            {
                args.Add("-fw_cfg");
                args.Add($"name=opt/ovmf/X-PciMmio64Mb,string={(p.Window >> 20).ToString(CultureInfo.InvariantCulture)}");
            }
        }
        args.Add("-cpu");
        args.Add(r.Kvm ? "host,host-phys-bits=on" : $"max,phys-bits={p.PhysBits}");
        bool iommufd = p.Functions.All(f => r.Cdevs.ContainsKey(f.Host));
        if (iommufd)
        {
            args.Add("-object");
            args.Add("iommufd,id=vfioctl-iommufd0");
        }
        foreach (var port in p.Functions.GroupBy(f => f.Port))
        {
            args.Add("-device");
            args.Add($"pcie-root-port,id=vfioctl-rp{port.Key},chassis={port.Key + 1},slot={port.Key + 1}");
            foreach (var f in port)
            {
                args.Add("-device");
                args.Add($"vfio-pci,host={f.Host},bus=vfioctl-rp{port.Key},addr=0x0.0x{f.GuestFunction:x}"
                    + (f.Multifunction ? ",multifunction=on" : "") + (iommufd ? ",iommufd=vfioctl-iommufd0" : ""));
            }
        }
        return args;
    }

    private static string LibvirtXml(VmArgsPlan p)
    {
        var r = p.Request;
        var s = new StringBuilder();
        const int FirstPortIndex = 16;
        s.Append("<!-- in <devices>: one PCIe root port per host slot (controller indexes from 16: change them if the domain uses those) and one hostdev per function -->\n");
        if (p.Window > MmioWindow.Q35DefaultHole64)
            s.Append(CultureInfo.InvariantCulture, $"<controller type='pci' index='0' model='pcie-root'>\n  <pcihole64 unit='KiB'>{p.Window >> 10}</pcihole64>\n</controller>\n");
        foreach (var port in p.Functions.GroupBy(f => f.Port))
        {
            int index = FirstPortIndex + port.Key;
            s.Append(CultureInfo.InvariantCulture, $"<controller type='pci' index='{index}' model='pcie-root-port'/>\n");
            foreach (var f in port)
            {
                s.Append("<hostdev mode='subsystem' type='pci' managed='no'>\n");
                s.Append(CultureInfo.InvariantCulture, $"  <source>\n    <address domain='0x{f.Host.Domain:x4}' bus='0x{f.Host.Bus:x2}' slot='0x{f.Host.Device:x2}' function='0x{f.Host.Function:x}'/>\n  </source>\n");
                s.Append(CultureInfo.InvariantCulture, $"  <address type='pci' domain='0x0000' bus='0x{index:x2}' slot='0x00' function='0x{f.GuestFunction:x}'{(f.Multifunction ? " multifunction='on'" : "")}/>\n");
                s.Append("</hostdev>\n");
            }
        }
        s.Append("<!-- in <cpu> -->\n");
        s.Append(r.Kvm ? "<maxphysaddr mode='passthrough'/>\n" : $"<maxphysaddr mode='emulate' bits='{p.PhysBits}'/>\n");
        if (r.Firmware == VmFirmware.Ovmf && p.Window > MmioWindow.Q35DefaultHole64)
        {
            s.Append("<!-- OVMF's window: on <domain>, xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0', then inside it -->\n");
            s.Append(CultureInfo.InvariantCulture, $"<qemu:commandline>\n  <qemu:arg value='-fw_cfg'/>\n  <qemu:arg value='name=opt/ovmf/X-PciMmio64Mb,string={p.Window >> 20}'/>\n</qemu:commandline>\n");
        }
        return s.ToString();
    }
}
