using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Vm;
using Vfio.Tests.Support;

namespace Vfio.Tests.Vm;

/// <summary>
/// BARs and vm-args over the real H200 capture (a Firecracker VM, kernel 6.18): the BARs as the
/// kernel reports them, and the 64-bit window and address bits a VM needs for one and for two
/// such GPUs once they are on vfio-pci.
/// </summary>
public sealed class VmArgsTests
{
    private static readonly PciAddress Gpu = PciAddress.Parse("0000:00:06.0");
    private static readonly PciAddress SecondGpu = PciAddress.Parse("0000:00:07.0");

    private static HostState H200()
    {
        using var tree = Fixtures.Open("real-h200-vm-6.18");
        return HostReader.Read(new HostFiles(tree.Directory));
    }

    /// <summary>The capture as it would read with the GPU(s) on vfio-pci, each in its own group (what 'vfioctl bind' gives on a host with an IOMMU).</summary>
    private static HostState OnVfio(HostState host, bool twoGpus)
    {
        var gpu = host.FindDevice(Gpu)! with { Driver = "vfio-pci", DriverOverride = "vfio-pci", IommuGroup = 40 };
        var devices = host.Devices.Where(d => d.Address != Gpu).Append(gpu).ToList();
        var groups = new List<IommuGroup> { new() { Id = 40, Devices = [Gpu] } };
        if (twoGpus)
        {
            devices.Add(gpu with { Address = SecondGpu, IommuGroup = 41 });
            groups.Add(new IommuGroup { Id = 41, Devices = [SecondGpu] });
        }
        return host with { Devices = [.. devices], Groups = [.. groups] };
    }

    [Fact]
    public void The_h200_shows_its_three_64_bit_prefetchable_bars_with_their_sizes()
    {
        var bars = H200().FindDevice(Gpu)!.Bars;
        Assert.Equal(["BAR 0", "BAR 2", "BAR 4"], bars.Select(b => b.Name));
        Assert.Equal([16UL << 20, 256UL << 30, 32UL << 20], bars.Select(b => b.Size));
        Assert.All(bars, b => Assert.True(b.Is64Bit && b.Prefetchable && !b.IsIo && !b.Unassigned));
        Assert.Equal(0x100000000000UL, bars[1].Start);
        Assert.Equal("256.05 GiB", MmioWindow.Human(MmioWindow.Sum64(H200().FindDevice(Gpu)!)));
    }

    [Fact]
    public void Show_names_the_bars_and_calls_out_that_a_default_vm_window_cannot_hold_them()
    {
        var r = CliRun.Run("--root", Fixtures.Archive("real-h200-vm-6.18"), "show", "00:06.0");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("  BAR 2       256 GiB  64-bit prefetchable memory at 0x100000000000\n", r.Out);
        Assert.Contains("note: 64-bit BARs of 256.05 GiB: more than QEMU q35's default 64-bit MMIO window (32 GiB) holds", r.Out);
        var json = CliRun.Run("--root", Fixtures.Archive("real-h200-vm-6.18"), "--json", "show", "00:06.0").Json().RootElement;
        Assert.Equal((256UL << 30) + (48UL << 20), json.GetProperty("bar64Total").GetUInt64());
        Assert.Equal(256UL << 30, json.GetProperty("bars")[1].GetProperty("size").GetUInt64());
    }

    [Fact]
    public void One_h200_needs_a_512_gib_window_and_40_address_bits_two_need_1_tib_and_41()
    {
        var one = VmArgsPlanner.Plan(OnVfio(H200(), twoGpus: false), new VmArgsRequest { Devices = [Gpu] });
        Assert.True(one.CanApply, string.Join("; ", one.Refusals.Select(r => r.Reason)));
        Assert.Equal(512UL << 30, one.Window);
        Assert.Equal(40, one.PhysBits);
        Assert.Equal(46, one.HostPhysBits);
        Assert.Equal(["-global", "q35-pcihost.pci-hole64-size=512G", "-fw_cfg", "name=opt/ovmf/X-PciMmio64Mb,string=524288",
            "-cpu", "max,phys-bits=40", "-device", "pcie-root-port,id=vfioctl-rp0,chassis=1,slot=1",
            "-device", "vfio-pci,host=0000:00:06.0,bus=vfioctl-rp0,addr=0x0.0x0"], one.QemuArgs);

        var two = VmArgsPlanner.Plan(OnVfio(H200(), twoGpus: true), new VmArgsRequest { Devices = [Gpu, SecondGpu], Kvm = true });
        Assert.Equal(1UL << 40, two.Window);
        Assert.Equal(41, two.PhysBits);
        Assert.Contains("host,host-phys-bits=on", two.QemuArgs);
        Assert.Contains("<pcihole64 unit='KiB'>1073741824</pcihole64>", two.LibvirtXml);
        Assert.Contains("<maxphysaddr mode='passthrough'/>", two.LibvirtXml);
    }

    [Fact]
    public void A_window_beyond_the_host_s_address_width_and_a_device_not_on_vfio_are_refused()
    {
        var tooBig = VmArgsPlanner.Plan(OnVfio(H200(), twoGpus: false), new VmArgsRequest { Devices = [Gpu], GuestMemory = 64UL << 40 });
        var refusal = Assert.Single(tooBig.Refusals);
        Assert.Contains("more than this host's CPU has (46)", refusal.Reason);
        Assert.Empty(tooBig.QemuArgs);

        var r = CliRun.Run("--root", Fixtures.Archive("real-h200-vm-6.18"), "vm-args", "00:06.0");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("0000:00:06.0 is on nvidia, not on a vfio driver: 'vfioctl bind 0000:00:06.0' first.", r.Err);
    }

    [Fact]
    public void The_functions_of_one_slot_stay_together_as_one_multifunction_device()
    {
        var host = OnVfio(H200(), twoGpus: false);
        var f1 = host.FindDevice(Gpu)! with { Address = PciAddress.Parse("0000:00:06.1") };
        host = host with
        {
            Devices = [.. host.Devices, f1],
            Groups = [new IommuGroup { Id = 40, Devices = [Gpu, f1.Address] }],
        };
        var plan = VmArgsPlanner.Plan(host, new VmArgsRequest { Devices = [f1.Address, Gpu] });
        Assert.Contains("vfio-pci,host=0000:00:06.0,bus=vfioctl-rp0,addr=0x0.0x0,multifunction=on", plan.QemuArgs);
        Assert.Contains("vfio-pci,host=0000:00:06.1,bus=vfioctl-rp0,addr=0x0.0x1", plan.QemuArgs);
        Assert.Single(plan.QemuArgs, a => a.StartsWith("pcie-root-port", StringComparison.Ordinal));
    }
}
