using Vfio.Execution.Kernel;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Tests.Support;

namespace Vfio.Tests.Simulation;

/// <summary>
/// The simulated kernel's SR-IOV against trees the real kernel made: the VFs it creates must read
/// like the ones captured in lab guests, and its answers must be the ones seen on 6.1 and 6.12.
/// </summary>
public class SimulatedSriovKernelTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);
    private const string Pf = "0000:01:00.0";
    private const string NumVfs = $"/sys/bus/pci/devices/{Pf}/sriov_numvfs";

    private static HostState ReadCapture(string fixture)
    {
        using var tree = Fixtures.Open(fixture);
        return HostReader.Read(new HostFiles(tree.Directory));
    }

    private static Errno ErrnoOf(Action write) => Assert.Throws<KernelException>(write).Error;

    /// <summary>The fields of a device that SR-IOV creation decides (not what a later bind changed).</summary>
    private static object Shape(PciDevice d) => new
    {
        d.Address, d.VendorId, d.DeviceId, d.SubsystemVendorId, d.SubsystemDeviceId, Class = d.Class?.Value, d.Revision, d.Modalias,
        d.IommuGroup, d.NumaNode, d.HeaderType, Resets = string.Join(' ', d.ResetMethods), d.PhysFn, d.Parent, d.IsVirtualFunction,
    };

    [Fact]
    public void Vfs_made_under_nvme_read_like_the_ones_the_kernel_made()
    {
        using var k = new SimulatedKernelUnderTest("lab-sriov-6.12");
        k.Kernel.Write(NumVfs, "4", Patience);
        var simulated = HostReader.Read(k.Kernel.Files);
        var real = ReadCapture("lab-sriov-vfs-6.12"); // echo 4 > sriov_numvfs, then 01:00.2 bound to vfio-pci
        var simPf = simulated.FindDevice(PciAddress.Parse(Pf))!;
        var realPf = real.FindDevice(PciAddress.Parse(Pf))!;
        Assert.Equal(realPf.Sriov!.VirtualFunctions, simPf.Sriov!.VirtualFunctions);
        Assert.Equal(realPf.Sriov.NumVfs, simPf.Sriov.NumVfs);
        foreach (var vf in realPf.Sriov.VirtualFunctions)
        {
            var (s, r) = (simulated.FindDevice(vf)!, real.FindDevice(vf)!);
            Assert.Equal(Shape(r), Shape(s));
            Assert.Empty(s.Warnings);
            Assert.Equal(real.GroupOf(r)!.Type, simulated.GroupOf(s)!.Type);
            Assert.Equal(real.GroupOf(r)!.ReservedRegions, simulated.GroupOf(s)!.ReservedRegions);
            Assert.Null(s.Driver); // QEMU's NVMe VFs fail nvme's probe
        }
        Assert.Equal(real.Groups.Select(g => g.Id), simulated.Groups.Select(g => g.Id));
    }

    [Fact]
    public void A_vfio_pci_pf_captures_its_vfs_like_the_kernel_did()
    {
        using var k = new SimulatedKernelUnderTest("lab-sriov-6.12");
        var kernel = k.Kernel;
        kernel.LoadModule("vfio_pci", ["enable_sriov=1"]);
        kernel.Write($"/sys/bus/pci/devices/{Pf}/driver_override", "vfio-pci", Patience);
        kernel.Write($"/sys/bus/pci/drivers/nvme/unbind", Pf, Patience);
        kernel.Write("/sys/bus/pci/drivers_probe", Pf, Patience);
        kernel.Write(NumVfs, "2", Patience);
        var simulated = HostReader.Read(kernel.Files);
        var real = ReadCapture("lab-sriov-vfio-pf-6.12");
        foreach (var vf in real.FindDevice(PciAddress.Parse(Pf))!.Sriov!.VirtualFunctions)
        {
            var (s, r) = (simulated.FindDevice(vf)!, real.FindDevice(vf)!);
            Assert.Equal(Shape(r), Shape(s));
            Assert.Equal((r.Driver, r.DriverOverride), (s.Driver, s.DriverOverride)); // vfio-pci, set by the kernel
            Assert.Equal(real.GroupOf(r)!.VfioNode, simulated.GroupOf(s)!.VfioNode);
        }
        Assert.Equal("Y", kernel.Files.ReadAttribute("/sys/module/vfio_pci/parameters/enable_sriov"));
    }

    [Fact]
    public void Removed_vfs_take_their_groups_and_nodes_with_them_and_group_ids_are_reused()
    {
        using var k = new SimulatedKernelUnderTest("lab-sriov-6.12");
        var kernel = k.Kernel;
        kernel.Write($"/sys/bus/pci/devices/{Pf}/sriov_drivers_autoprobe", "0", Patience);
        kernel.Write(NumVfs, "2", Patience);
        kernel.LoadModule("vfio_pci", []);
        kernel.Write("/sys/bus/pci/devices/0000:01:00.2/driver_override", "vfio-pci", Patience);
        kernel.Write("/sys/bus/pci/drivers_probe", "0000:01:00.2", Patience);
        Assert.True(kernel.Files.Exists("/dev/vfio/9"));
        kernel.Write(NumVfs, "0", Patience);
        var host = HostReader.Read(kernel.Files);
        Assert.DoesNotContain(host.Devices, d => d.IsVirtualFunction);
        Assert.Null(host.FindGroup(8));
        Assert.False(kernel.Files.Exists("/dev/vfio/9"));
        Assert.False(kernel.Files.Exists($"/sys/bus/pci/devices/{Pf}/virtfn0"));
        Assert.DoesNotContain(kernel.Files.List("/sys/bus/pci/drivers/vfio-pci"), n => n.StartsWith("0000:", StringComparison.Ordinal));
        kernel.Write(NumVfs, "1", Patience);
        Assert.Equal(8, HostReader.Read(kernel.Files).FindDevice(PciAddress.Parse("01:00.1"))!.IommuGroup);
    }

    [Fact]
    public void The_kernels_answers_to_odd_writes_as_seen_on_61_and_612()
    {
        using var k = new SimulatedKernelUnderTest("lab-sriov-6.12");
        var kernel = k.Kernel;
        // kstrtou16, base 0: a trailing newline and 0x are fine; blanks and signs are not.
        kernel.Write(NumVfs, "0x2", Patience);
        kernel.Write(NumVfs, "2\n", Patience);
        Assert.Equal(Errno.EINVAL, ErrnoOf(() => kernel.Write(NumVfs, " 2", Patience)));
        Assert.Equal(Errno.EINVAL, ErrnoOf(() => kernel.Write(NumVfs, "-1", Patience)));
        Assert.Equal(Errno.EINVAL, ErrnoOf(() => kernel.Write($"/sys/bus/pci/devices/{Pf}/sriov_drivers_autoprobe", "2", Patience)));
        Assert.Equal(Errno.EACCES, ErrnoOf(() => kernel.Write($"/sys/bus/pci/devices/{Pf}/sriov_totalvfs", "3", Patience)));

        // Unbinding nvme leaves the VFs; without a driver the count cannot change, not even to 0.
        kernel.Write("/sys/bus/pci/drivers/nvme/unbind", Pf, Patience);
        Assert.Equal(2, HostReader.Read(kernel.Files).FindDevice(PciAddress.Parse(Pf))!.Sriov!.VirtualFunctions.Length);
        Assert.Equal(Errno.ENOENT, ErrnoOf(() => kernel.Write(NumVfs, "0", Patience)));
        // vfio-pci refuses a PF with VFs: drivers_probe says nothing, bind says EBUSY.
        kernel.LoadModule("vfio_pci", ["enable_sriov=1"]);
        kernel.Write($"/sys/bus/pci/devices/{Pf}/driver_override", "vfio-pci", Patience);
        kernel.Write("/sys/bus/pci/drivers_probe", Pf, Patience);
        Assert.Null(HostReader.Read(kernel.Files).FindDevice(PciAddress.Parse(Pf))!.Driver);
        Assert.Equal(Errno.EBUSY, ErrnoOf(() => kernel.Write("/sys/bus/pci/drivers/vfio-pci/bind", Pf, Patience)));
        // Back on nvme the VFs can go; then vfio-pci takes the PF, and unbinding it removes the VFs it made.
        kernel.Write($"/sys/bus/pci/devices/{Pf}/driver_override", "\n", Patience);
        kernel.Write("/sys/bus/pci/drivers/nvme/bind", Pf, Patience);
        kernel.Write(NumVfs, "0", Patience);
        kernel.Write($"/sys/bus/pci/devices/{Pf}/driver_override", "vfio-pci", Patience);
        kernel.Write("/sys/bus/pci/drivers/nvme/unbind", Pf, Patience);
        kernel.Write("/sys/bus/pci/drivers_probe", Pf, Patience);
        kernel.Write(NumVfs, "2", Patience);
        kernel.Write("/sys/module/vfio_pci/parameters/enable_sriov", "N", Patience);
        Assert.Equal(Errno.ENOENT, ErrnoOf(() => kernel.Write(NumVfs, "0", Patience)));
        kernel.Write("/sys/bus/pci/drivers/vfio-pci/unbind", Pf, Patience);
        Assert.Equal("0", kernel.Files.ReadAttribute(NumVfs));
        Assert.DoesNotContain(HostReader.Read(kernel.Files).Devices, d => d.IsVirtualFunction);
    }
}
