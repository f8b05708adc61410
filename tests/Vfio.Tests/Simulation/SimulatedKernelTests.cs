using Vfio.Execution.Kernel;
using Vfio.Host.Reading;

namespace Vfio.Tests.Simulation;

/// <summary>
/// What the simulated kernel does beyond the shared contract: details seen on real kernels that a
/// contract test cannot provoke portably (module registration order in a long-running guest, the
/// middle of a blocked unbind) and the simulation's own surface.
/// </summary>
public class SimulatedKernelTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);
    private const string Edu = "0000:00:02.0";
    private const string E1000 = "0000:03:01.0";
    private const string EduBehindBridge = "0000:03:02.0";

    private static string Dir(string bdf) => $"/sys/bus/pci/devices/{bdf}";

    private static string? DriverOf(IKernel kernel, string bdf) => HostReader.Read(kernel.Files).FindDevice(PciAddress.Parse(bdf))!.Driver;

    private static void BindWithOverride(IKernel kernel, string bdf, string driver)
    {
        kernel.Write($"{Dir(bdf)}/driver_override", driver, Patience);
        if (DriverOf(kernel, bdf) is { } current) kernel.Write($"/sys/bus/pci/drivers/{current}/unbind", bdf, Patience);
        kernel.Write("/sys/bus/pci/drivers_probe", bdf, Patience);
    }

    [Fact]
    public void Loading_the_driver_an_override_names_binds_the_waiting_device()
    {
        using var under = new SimulatedKernelUnderTest();
        var kernel = under.Kernel;
        kernel.Write($"{Dir(Edu)}/driver_override", "vfio-pci", Patience);
        kernel.Write("/sys/bus/pci/drivers_probe", Edu, Patience);
        Assert.Null(DriverOf(kernel, Edu));

        // driver_register → bus_add_driver → driver_attach
        kernel.LoadModule("vfio_pci", []);
        Assert.Equal("vfio-pci", DriverOf(kernel, Edu));
        Assert.True(kernel.Files.Exists("/dev/vfio/1"));
        Assert.Equal("0000:00:02.0", kernel.Files.ReadLinkName($"/sys/bus/pci/drivers/vfio-pci/{Edu}"));
        Assert.Equal("vfio-pci", kernel.Files.ReadLinkName("/sys/module/vfio_pci/drivers/pci:vfio-pci"));
    }

    [Fact]
    public void Module_parameters_are_set_on_the_first_load_only_and_unknown_modules_say_what_modprobe_says()
    {
        using var under = new SimulatedKernelUnderTest();
        var kernel = under.Kernel;
        kernel.LoadModule("vfio_pci", ["enable_sriov=1", "disable_idle_d3"]);
        // Bool parameters read back Y or N (seen: modprobe vfio-pci enable_sriov=1 shows Y).
        Assert.Equal("Y", kernel.Files.ReadAttribute("/sys/module/vfio_pci/parameters/enable_sriov"));
        Assert.Equal("Y", kernel.Files.ReadAttribute("/sys/module/vfio_pci/parameters/disable_idle_d3"));
        Assert.Equal("N", kernel.Files.ReadAttribute("/sys/module/vfio_pci/parameters/nointxmask"));
        kernel.LoadModule("vfio_pci", ["enable_sriov=0"]); // already loaded: modprobe changes nothing
        Assert.Equal("Y", kernel.Files.ReadAttribute("/sys/module/vfio_pci/parameters/enable_sriov"));
        Assert.Contains("vfio_iommu_type1 16384", kernel.Files.ReadAllText("/proc/modules"));

        var e = Assert.Throws<KernelException>(() => kernel.LoadModule("no_such_module", []));
        Assert.Equal(Errno.ENOENT, e.Error);
        Assert.Contains("Module no_such_module not found in directory /lib/modules/6.12.117+deb12-amd64", e.Message);
    }

    [Fact]
    public void While_an_unbind_is_blocked_the_link_is_gone_but_uevent_and_the_node_stay_and_a_bind_waits_its_turn()
    {
        using var under = new SimulatedKernelUnderTest();
        var kernel = under.Kernel;
        kernel.LoadModule("vfio_pci", []);
        BindWithOverride(kernel, Edu, "vfio-pci");
        var hold = under.HoldGroupOpen(1);
        try
        {
            Assert.Equal(Errno.ETIMEDOUT, Assert.Throws<KernelException>(() =>
                kernel.Write($"{Dir(Edu)}/driver/unbind", Edu, TimeSpan.FromMilliseconds(200))).Error);
            // As seen on 6.12: driver_sysfs_remove ran, dev->driver is still set.
            Assert.Null(kernel.Files.ReadLink($"{Dir(Edu)}/driver"));
            Assert.StartsWith("DRIVER=vfio-pci\n", kernel.Files.ReadAllText($"{Dir(Edu)}/uevent"));
            Assert.True(kernel.Files.Exists("/dev/vfio/1"));
            kernel.Write("/sys/bus/pci/drivers_probe", Edu, Patience); // still "bound": nothing to do
            // bind waits for the device lock; the override changes meanwhile, so it ends in ENODEV (seen on 6.12).
            KernelException? bindError = null;
            var bind = new Thread(() =>
            {
                try { kernel.Write("/sys/bus/pci/drivers/vfio-pci/bind", Edu, Patience); }
                catch (KernelException e) { bindError = e; }
            });
            bind.Start();
            Assert.False(bind.Join(200));
            kernel.Write($"{Dir(Edu)}/driver_override", "\n", Patience); // 6.12 does not take the device lock here
            hold.Dispose();
            Assert.True(bind.Join(Patience));
            Assert.Equal(Errno.ENODEV, bindError?.Error);
        }
        finally
        {
            hold.Dispose();
        }
        Assert.Null(DriverOf(kernel, Edu));
        Assert.False(kernel.Files.Exists("/dev/vfio/1"));
    }

    [Fact]
    public void The_holder_shows_in_procfs_with_its_group_container_and_device_fds()
    {
        using var under = new SimulatedKernelUnderTest();
        var kernel = under.Kernel;
        kernel.LoadModule("vfio_pci", []);
        BindWithOverride(kernel, Edu, "vfio-pci");
        using (under.HoldGroupOpen(1))
        {
            Assert.Equal(SimulatedKernel.HolderComm, kernel.Files.ReadAttribute("/proc/4242/comm"));
            Assert.Equal("/dev/vfio/1", kernel.Files.ReadLink("/proc/4242/fd/3"));
            Assert.Equal("/dev/vfio/vfio", kernel.Files.ReadLink("/proc/4242/fd/4"));
            Assert.Equal("anon_inode:[vfio-device]", kernel.Files.ReadLink("/proc/4242/fd/5"));
        }
        Assert.False(kernel.Files.Exists("/proc/4242"));
    }

    [Fact]
    public void Only_devices_open_when_the_group_was_taken_make_an_unbind_wait()
    {
        using var under = new SimulatedKernelUnderTest();
        var kernel = under.Kernel;
        kernel.LoadModule("vfio_pci", []);
        kernel.LoadModule("pci_stub", []);
        BindWithOverride(kernel, E1000, "pci-stub");
        BindWithOverride(kernel, EduBehindBridge, "vfio-pci");
        using var hold = under.HoldGroupOpen(4); // a device fd for 03:02.0 only

        // vfio-pci manages DMA itself, so it may join the held group; nobody has the e1000 open.
        BindWithOverride(kernel, E1000, "vfio-pci");
        kernel.Write($"{Dir(E1000)}/driver/unbind", E1000, Patience);
        Assert.Null(DriverOf(kernel, E1000));
        Assert.True(kernel.Files.Exists("/dev/vfio/4"));
        Assert.Equal(Errno.ETIMEDOUT, Assert.Throws<KernelException>(() =>
            kernel.Write($"{Dir(EduBehindBridge)}/driver/unbind", EduBehindBridge, TimeSpan.FromMilliseconds(100))).Error);
    }

    [Fact]
    public void A_group_with_a_kernel_driver_cannot_be_attached_to_a_container()
    {
        using var under = new SimulatedKernelUnderTest();
        var kernel = under.Kernel;
        kernel.LoadModule("vfio_pci", []);
        BindWithOverride(kernel, EduBehindBridge, "vfio-pci");
        Assert.Equal(Errno.EPERM, Assert.Throws<KernelException>(() => under.HoldGroupOpen(4)).Error);
        Assert.False(kernel.Files.Exists("/proc/4242"));
    }

    [Fact]
    public void A_device_captured_on_vfio_pci_does_not_return_to_it_without_its_override()
    {
        // lab-basic-vfio-6.12: edu 00:02.0 on vfio-pci by override, e1000 fenced by pci-stub.
        using var under = new SimulatedKernelUnderTest("lab-basic-vfio-6.12");
        var kernel = under.Kernel;
        Assert.Equal("vfio-pci", DriverOf(kernel, Edu));
        Assert.True(kernel.Files.Exists("/dev/vfio/1"));
        kernel.Write($"{Dir(Edu)}/driver_override", "\n", Patience);
        kernel.Write($"{Dir(Edu)}/driver/unbind", Edu, Patience);
        Assert.False(kernel.Files.Exists("/dev/vfio/1"));
        kernel.Write("/sys/bus/pci/drivers_probe", Edu, Patience); // vfio-pci's ids are override-only
        Assert.Null(DriverOf(kernel, Edu));
        Assert.Equal(Errno.ENODEV, Assert.Throws<KernelException>(() => kernel.Write("/sys/bus/pci/drivers/vfio-pci/bind", Edu, Patience)).Error);
    }

    [Fact]
    public void Sysfs_write_edge_cases_follow_kernfs_and_driver_set_override()
    {
        using var under = new SimulatedKernelUnderTest();
        var kernel = under.Kernel;
        kernel.Write($"{Dir(Edu)}/driver_override", "pci-stub", Patience);
        kernel.Write($"{Dir(Edu)}/driver_override", "", Patience); // a zero-length write never reaches the kernel
        Assert.Equal("pci-stub", kernel.Files.ReadAttribute($"{Dir(Edu)}/driver_override"));
        Assert.Equal(Errno.EINVAL, Assert.Throws<KernelException>(() =>
            kernel.Write($"{Dir(Edu)}/driver_override", new string('x', 4095), Patience)).Error);
        kernel.Write($"{Dir(Edu)}/driver_override", "\0junk", Patience); // strlen 0: cleared
        Assert.Equal("(null)", kernel.Files.ReadAttribute($"{Dir(Edu)}/driver_override"));

        Assert.Equal(Errno.EACCES, Assert.Throws<KernelException>(() => kernel.Write($"{Dir(Edu)}/vendor", "0x1234", Patience)).Error);
        Assert.Equal(21, (int)Assert.Throws<KernelException>(() => kernel.Write("/sys/bus/pci/drivers/e1000", "x", Patience)).Error); // EISDIR
        Assert.Throws<NotSupportedException>(() => kernel.Write("/sys/bus/pci/drivers/e1000/new_id", "8086 100e", Patience));
        // Through the device's own directory path, not only the bus link.
        kernel.Write("/sys/devices/pci0000:00/0000:00:02.0/driver_override", "vfio-pci", Patience);
        Assert.Equal("vfio-pci", HostReader.Read(kernel.Files).FindDevice(PciAddress.Parse(Edu))!.DriverOverride);
    }
}
