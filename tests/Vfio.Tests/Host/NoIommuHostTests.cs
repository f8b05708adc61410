using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Viability;
using Vfio.Tests.Support;

namespace Vfio.Tests.Host;

/// <summary>A real 6.18 kernel without an IOMMU (the build machine, a microVM with virtio devices).</summary>
public sealed class NoIommuHostTests : IDisposable
{
    private const string Capture = "no-iommu-firecracker-6.18";
    private readonly Vfio.Host.Snapshot.SnapshotArchive _tree = Fixtures.Open(Capture);
    private HostState Read() => HostReader.Read(new HostFiles(_tree.Directory));

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void Reads_every_function_with_ids_class_and_driver()
    {
        var host = Read();
        Assert.Equal(6, host.Devices.Length);
        var blk = host.FindDevice(PciAddress.Parse("00:02.0"))!;
        Assert.Equal((ushort)0x1af4, blk.VendorId);
        Assert.Equal((ushort)0x1042, blk.DeviceId);
        Assert.Equal("018000", blk.Class!.Value.ToString());
        Assert.Equal("virtio-pci", blk.Driver);
        Assert.Null(blk.DriverOverride);
        Assert.Null(blk.IommuGroup);
        Assert.Empty(blk.Warnings);
        Assert.StartsWith("pci:v00001AF4d00001042", blk.Modalias);
        var hostBridge = host.FindDevice(PciAddress.Parse("00:00.0"))!;
        Assert.Null(hostBridge.Driver);
        Assert.Equal((byte)0, hostBridge.HeaderType);
    }

    [Fact]
    public void Without_an_IOMMU_in_a_virtual_machine_the_diagnosis_points_at_the_hypervisor_not_the_firmware()
    {
        // The capture is a Firecracker guest: the CPU reports the hypervisor flag.
        var host = Read();
        Assert.False(host.IommuEnabled);
        Assert.Empty(host.Groups);
        Assert.True(host.Machine.Hypervisor);
        Assert.Equal(MachineKind.VirtualMachine, IommuDiagnosis.KindOf(host));
        var text = IommuDiagnosis.Explain(host);
        Assert.NotNull(text);
        Assert.Contains("This is a virtual machine (the CPU reports the hypervisor flag): its IOMMU can only come from the hypervisor", text);
        Assert.Contains("-device intel-iommu,intremap=on,caching-mode=on", text);
        Assert.Contains("Firecracker exposes none", text);
        Assert.Contains("enable_unsafe_noiommu_mode=1", text);
        Assert.DoesNotContain("firmware setup", text);
        Assert.DoesNotContain("GRUB", text);
    }

    [Fact]
    public void Without_an_IOMMU_on_bare_metal_the_diagnosis_says_what_to_enable_and_boot_with()
    {
        // The same capture with the hypervisor flag taken out of /proc/cpuinfo: as bare metal reads.
        using var tree = Fixtures.Open("no-iommu-firecracker-6.18");
        var cpuinfo = Path.Combine(tree.Directory, "proc/cpuinfo");
        File.WriteAllText(cpuinfo, File.ReadAllText(cpuinfo).Replace(" hypervisor", ""));
        var host = HostReader.Read(new HostFiles(tree.Directory));
        Assert.Equal(MachineKind.BareMetal, IommuDiagnosis.KindOf(host));
        var text = IommuDiagnosis.Explain(host)!;
        Assert.Contains("intel_iommu=on", text);
        Assert.Contains("amd_iommu=on", text);
        Assert.Contains("/sys/class/iommu is empty", text);
        Assert.Contains("firmware setup", text);
        Assert.DoesNotContain("virtual machine", text);
    }

    [Fact]
    public void The_root_disk_and_the_addressed_nic_are_seen_as_in_use()
    {
        var host = Read();
        var disk = Assert.Single(host.FindDevice(PciAddress.Parse("00:02.0"))!.Holders);
        var block = Assert.IsType<BlockHolder>(disk);
        Assert.Equal("vda", block.Name);
        Assert.Contains("/", block.MountPoints);
        Assert.True(block.InUse);

        var nic = Assert.IsType<NetHolder>(Assert.Single(host.FindDevice(PciAddress.Parse("00:03.0"))!.Holders));
        Assert.Equal("eth0", nic.Name);
        Assert.True(nic.InUse);
        Assert.Contains(nic.Addresses, a => a.StartsWith("192.0.2.2/", StringComparison.Ordinal));
        Assert.True(nic.Routes > 0);

        Assert.Empty(host.FindDevice(PciAddress.Parse("00:05.0"))!.Holders);
    }

    [Fact]
    public void Reads_the_kernel_release_for_choosing_the_viability_rules()
    {
        var host = Read();
        Assert.StartsWith("6.18", host.KernelRelease);
        Assert.Equal(new KernelVersion(6, 18), host.Kernel);
        Assert.Equal(ViabilityRules.DriverManagedDma, ViabilityRulesFor.Kernel(host.Kernel));
    }
}
