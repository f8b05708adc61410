using Vfio.Execution.Kernel;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Policy.Viability;

namespace Vfio.Contracts;

/// <summary>
/// The sysfs reactions the execution layer relies on (kernel-facts sections 1 and 2), proven against
/// every kernel under test: the simulated one (tests/Vfio.Tests) and the live kernel of a lab
/// guest in the <c>basic</c> topology (tests/Vfio.RealKernel.Tests, 6.12 and 6.1). Each test gets a
/// fresh kernel from <see cref="Factory"/> and reads the result back with the host model, never
/// by re-reading what it wrote.
/// </summary>
/// <remarks>
/// Addresses and groups of the basic topology (docs/lab.md): edu 00:02.0 alone in group 1; the
/// pcie-pci-bridge 00:05.0 with an e1000 (03:01.0) and a second edu (03:02.0) behind it in group 4.
/// The lab's own 9p devices (00:1d.0, 00:1e.0) are never touched.
/// </remarks>
public abstract class KernelBehaviourContract
{
    protected static readonly PciAddress Edu = PciAddress.Parse("0000:00:02.0");
    protected static readonly PciAddress Bridge = PciAddress.Parse("0000:00:05.0");
    protected static readonly PciAddress E1000 = PciAddress.Parse("0000:03:01.0");
    protected static readonly PciAddress EduBehindBridge = PciAddress.Parse("0000:03:02.0");
    protected const int EduGroup = 1;
    protected const int BridgeGroup = 4;

    private const string DriversProbe = "/sys/bus/pci/drivers_probe";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>Makes the kernel each test runs against.</summary>
    protected abstract IKernelUnderTestFactory Factory { get; }

    /// <summary>Skips the test when its kernel is not available here (the live one outside a lab guest).</summary>
    protected virtual void RequireKernel() { }

    private IKernelUnderTest Start()
    {
        RequireKernel();
        return Factory.Create();
    }

    [Fact]
    public void Override_unbind_and_drivers_probe_bind_the_edu_to_vfio_pci_and_its_group_node_appears()
    {
        using var under = Start();
        var kernel = under.Kernel;
        kernel.LoadModule("vfio_pci", []);
        var before = Read(kernel);
        Assert.Null(before.FindDevice(Edu)!.Driver);
        Assert.Equal(EduGroup, before.FindDevice(Edu)!.IommuGroup);
        Assert.Null(before.FindGroup(EduGroup)!.VfioNode);

        BindWithOverride(kernel, Edu, "vfio-pci");

        var after = Read(kernel);
        var edu = after.FindDevice(Edu)!;
        Assert.Equal("vfio-pci", edu.Driver);
        Assert.Equal("vfio-pci", edu.DriverOverride);
        Assert.Equal("vfio-pci", kernel.Files.ReadLinkName($"{Dir(Edu)}/driver")); // the link agrees with uevent's DRIVER=
        Assert.Equal($"/dev/vfio/{EduGroup}", after.FindGroup(EduGroup)!.VfioNode);
        Assert.Equal(GroupStatus.Assigned, Verdict(after, Edu).Status);

        // The node goes with the group's last vfio device.
        Write(kernel, $"{Dir(Edu)}/driver/unbind", Edu.ToString());
        var unbound = Read(kernel);
        Assert.Null(unbound.FindDevice(Edu)!.Driver);
        Assert.Null(kernel.Files.ReadLink($"{Dir(Edu)}/driver"));
        Assert.Null(unbound.FindGroup(EduGroup)!.VfioNode);
        Assert.Equal("vfio-pci", unbound.FindDevice(Edu)!.DriverOverride); // unbinding leaves the override
    }

    [Fact]
    public void Loading_vfio_pci_brings_vfio_its_core_and_through_vfios_soft_dependency_the_type1_iommu()
    {
        using var under = Start();
        var kernel = under.Kernel;
        kernel.LoadModule("vfio-pci", []); // modprobe's spelling; dashes and underscores are the same
        kernel.LoadModule("vfio_pci", []); // loading again is a no-op

        var host = Read(kernel);
        Assert.Contains("vfio-pci", host.PciDrivers);
        foreach (var module in new[] { "vfio", "vfio_pci", "vfio_pci_core", "vfio_iommu_type1" })
            Assert.Contains(module, host.Modules);
        Assert.Equal("vfio_pci", kernel.Files.ReadLinkName("/sys/bus/pci/drivers/vfio-pci/module"));
        Assert.True(kernel.Files.Exists("/dev/vfio/vfio"));
    }

    [Fact]
    public void An_unknown_module_is_ENOENT()
    {
        using var under = Start();
        var e = Assert.Throws<KernelException>(() => under.Kernel.LoadModule("vfioctl_no_such_module", []));
        Assert.Equal(Errno.ENOENT, e.Error);
    }

    [Fact]
    public void An_override_naming_a_driver_that_is_not_loaded_leaves_the_device_unbound_and_drivers_probe_still_succeeds()
    {
        using var under = Start();
        var kernel = under.Kernel;
        // pci-stub when it is not loaded yet (the usual case); a name no kernel has otherwise.
        var absent = Read(kernel).PciDrivers.Contains("pci-stub") ? "vfioctl-absent" : "pci-stub";

        Write(kernel, $"{Dir(Edu)}/driver_override", absent);
        Write(kernel, DriversProbe, Edu.ToString());
        var edu = Read(kernel).FindDevice(Edu)!;
        Assert.Null(edu.Driver);
        Assert.Equal(absent, edu.DriverOverride);

        // An override also keeps a device's own driver away: the e1000 stays unbound.
        Write(kernel, $"{Dir(E1000)}/driver_override", absent);
        Write(kernel, "/sys/bus/pci/drivers/e1000/unbind", E1000.ToString());
        Write(kernel, DriversProbe, E1000.ToString());
        var e1000 = Read(kernel).FindDevice(E1000)!;
        Assert.Null(e1000.Driver);
        Assert.Equal(absent, e1000.DriverOverride);
    }

    [Fact]
    public void The_override_is_cut_at_the_first_newline_does_not_bind_and_a_lone_newline_clears_it()
    {
        using var under = Start();
        var kernel = under.Kernel;
        kernel.LoadModule("vfio_pci", []);

        Write(kernel, $"{Dir(Edu)}/driver_override", "vfio-pci\nignored");
        Assert.Equal("vfio-pci", kernel.Files.ReadAttribute($"{Dir(Edu)}/driver_override"));
        var edu = Read(kernel).FindDevice(Edu)!;
        Assert.Equal("vfio-pci", edu.DriverOverride);
        Assert.Null(edu.Driver); // setting it binds nothing, even with the driver loaded

        Write(kernel, $"{Dir(Edu)}/driver_override", "\n");
        Assert.Equal("(null)", kernel.Files.ReadAttribute($"{Dir(Edu)}/driver_override"));
        Assert.Null(Read(kernel).FindDevice(Edu)!.DriverOverride);
    }

    [Fact]
    public void Bind_is_EBUSY_on_a_bound_device_it_matches_and_ENODEV_on_one_it_does_not()
    {
        using var under = Start();
        var kernel = under.Kernel;
        kernel.LoadModule("vfio_pci", []);
        BindWithOverride(kernel, Edu, "vfio-pci");

        Assert.Equal(Errno.EBUSY, Refused(kernel, "/sys/bus/pci/drivers/vfio-pci/bind", Edu.ToString()));
        Assert.Equal(Errno.EBUSY, Refused(kernel, "/sys/bus/pci/drivers/e1000/bind", E1000.ToString()));
        // vfio-pci's ids are override-only (pci_match_device): no match, so ENODEV before EBUSY is considered.
        Assert.Equal(Errno.ENODEV, Refused(kernel, "/sys/bus/pci/drivers/vfio-pci/bind", E1000.ToString()));
        Assert.Equal(Errno.ENODEV, Refused(kernel, "/sys/bus/pci/drivers/vfio-pci/bind", EduBehindBridge.ToString()));
        Assert.Equal(Errno.ENODEV, Refused(kernel, "/sys/bus/pci/drivers/e1000/bind", Edu.ToString()));

        var host = Read(kernel);
        Assert.Equal("vfio-pci", host.FindDevice(Edu)!.Driver);
        Assert.Equal("e1000", host.FindDevice(E1000)!.Driver);
        Assert.Null(host.FindDevice(EduBehindBridge)!.Driver);
    }

    [Fact]
    public void Vfio_pci_refuses_the_bridge_drivers_probe_quietly_and_bind_with_EINVAL()
    {
        using var under = Start();
        var kernel = under.Kernel;
        kernel.LoadModule("vfio_pci", []);
        Assert.True(Read(kernel).FindDevice(Bridge)!.IsBridge);

        Write(kernel, $"{Dir(Bridge)}/driver_override", "vfio-pci");
        Write(kernel, DriversProbe, Bridge.ToString()); // the probe's EINVAL does not reach drivers_probe
        Assert.Null(Read(kernel).FindDevice(Bridge)!.Driver);

        Assert.Equal(Errno.EINVAL, Refused(kernel, "/sys/bus/pci/drivers/vfio-pci/bind", Bridge.ToString()));
        var host = Read(kernel);
        Assert.Null(host.FindDevice(Bridge)!.Driver);
        Assert.Null(host.FindGroup(BridgeGroup)!.VfioNode);
    }

    [Fact]
    public void Pci_stub_fences_the_e1000_and_the_bridge_group_becomes_viable_then_assigned()
    {
        using var under = Start();
        var kernel = under.Kernel;
        kernel.LoadModule("pci_stub", []);
        kernel.LoadModule("vfio_pci", []);
        var before = Verdict(Read(kernel), EduBehindBridge);
        Assert.Equal(GroupStatus.Blocked, before.Status);
        Assert.Equal(E1000, Assert.Single(before.Blockers).Address);

        BindWithOverride(kernel, E1000, "pci-stub");
        var fenced = Read(kernel);
        Assert.Equal("pci-stub", fenced.FindDevice(E1000)!.Driver);
        var viable = Verdict(fenced, EduBehindBridge);
        Assert.Equal(GroupStatus.Viable, viable.Status);
        Assert.Empty(viable.Blockers);

        BindWithOverride(kernel, EduBehindBridge, "vfio-pci");
        var assigned = Read(kernel);
        Assert.Equal("vfio-pci", assigned.FindDevice(EduBehindBridge)!.Driver);
        Assert.Equal(GroupStatus.Assigned, Verdict(assigned, EduBehindBridge).Status);
        Assert.Equal($"/dev/vfio/{BridgeGroup}", assigned.FindGroup(BridgeGroup)!.VfioNode);
    }

    [Fact]
    public void Drivers_probe_without_an_override_returns_the_e1000_to_its_kernel_driver_and_leaves_the_edu_unbound()
    {
        using var under = Start();
        var kernel = under.Kernel;
        kernel.LoadModule("pci_stub", []);
        BindWithOverride(kernel, E1000, "pci-stub");
        Assert.Equal("pci-stub", Read(kernel).FindDevice(E1000)!.Driver);

        Write(kernel, $"{Dir(E1000)}/driver_override", "\n");
        Write(kernel, "/sys/bus/pci/drivers/pci-stub/unbind", E1000.ToString());
        Assert.Null(Read(kernel).FindDevice(E1000)!.Driver);
        Write(kernel, DriversProbe, E1000.ToString());
        Assert.Equal("e1000", Read(kernel).FindDevice(E1000)!.Driver);

        Write(kernel, DriversProbe, Edu.ToString()); // no driver has the edu's id
        Assert.Null(Read(kernel).FindDevice(Edu)!.Driver);
    }

    [Fact]
    public void A_group_is_open_once_at_a_time_and_its_holder_shows_in_procfs()
    {
        using var under = Start();
        var kernel = under.Kernel;
        kernel.LoadModule("vfio_pci", []);
        Assert.Equal(Errno.ENOENT, Assert.Throws<KernelException>(() => under.HoldGroupOpen(EduGroup)).Error); // no node yet
        BindWithOverride(kernel, Edu, "vfio-pci");

        using (under.HoldGroupOpen(EduGroup))
        {
            Assert.Equal(Errno.EBUSY, Assert.Throws<KernelException>(() => under.HoldGroupOpen(EduGroup)).Error);
            Assert.NotEmpty(ProcessesHolding(kernel, $"/dev/vfio/{EduGroup}"));
        }
        Assert.Empty(ProcessesHolding(kernel, $"/dev/vfio/{EduGroup}"));
        // Closed, it can be opened again.
        using (under.HoldGroupOpen(EduGroup)) { }
    }

    [Fact]
    public void A_group_where_a_kernel_driver_owns_DMA_cannot_be_taken_by_a_user_until_it_is_fenced()
    {
        using var under = Start();
        var kernel = under.Kernel;
        kernel.LoadModule("vfio_pci", []);
        kernel.LoadModule("pci_stub", []);
        BindWithOverride(kernel, EduBehindBridge, "vfio-pci"); // the node exists, the e1000 is still on e1000

        // VFIO_GROUP_SET_CONTAINER → iommu_group_claim_dma_owner: EPERM on a non-viable group.
        Assert.Equal(Errno.EPERM, Assert.Throws<KernelException>(() => under.HoldGroupOpen(BridgeGroup)).Error);
        Assert.Empty(ProcessesHolding(kernel, $"/dev/vfio/{BridgeGroup}")); // the failed attempt closed what it opened

        BindWithOverride(kernel, E1000, "pci-stub");
        using (under.HoldGroupOpen(BridgeGroup))
            Assert.NotEmpty(ProcessesHolding(kernel, $"/dev/vfio/{BridgeGroup}"));
    }

    [Fact]
    public void Unbinding_a_device_a_process_holds_open_does_not_return_until_the_holder_closes_it()
    {
        using var under = Start();
        var kernel = under.Kernel;
        kernel.LoadModule("vfio_pci", []);
        BindWithOverride(kernel, Edu, "vfio-pci");

        KernelException blocked;
        var hold = under.HoldGroupOpen(EduGroup);
        try
        {
            // vfio-pci's remove waits for the device fd. Nothing may read the device while the
            // write is stuck: on 6.1 reading uevent or driver_override waits for the same lock.
            blocked = Assert.Throws<KernelException>(() =>
                kernel.Write($"/sys/bus/pci/drivers/vfio-pci/unbind", Edu.ToString(), TimeSpan.FromSeconds(2)));
        }
        finally
        {
            hold.Dispose(); // closing the fds lets the stuck write finish
        }
        Assert.Equal(Errno.ETIMEDOUT, blocked.Error);

        // The write completes once the holder is gone: the edu ends up unbound and the node goes.
        Assert.True(WaitUntil(() => Read(kernel) is var h && h.FindDevice(Edu)!.Driver is null && h.FindGroup(EduGroup)!.VfioNode is null),
            "the blocked unbind did not finish after the holder closed the group");
    }

    [Fact]
    public void A_kernel_driver_cannot_bind_into_a_group_a_process_holds_but_pci_stub_can()
    {
        using var under = Start();
        var kernel = under.Kernel;
        kernel.LoadModule("pci_stub", []);
        kernel.LoadModule("vfio_pci", []);
        BindWithOverride(kernel, E1000, "pci-stub");
        BindWithOverride(kernel, EduBehindBridge, "vfio-pci");

        using (under.HoldGroupOpen(BridgeGroup))
        {
            Write(kernel, $"{Dir(E1000)}/driver_override", "\n");
            Write(kernel, "/sys/bus/pci/drivers/pci-stub/unbind", E1000.ToString());
            // pci_dma_configure → iommu_device_use_default_domain says EBUSY; drivers_probe reports EINVAL.
            Assert.Equal(Errno.EINVAL, Refused(kernel, DriversProbe, E1000.ToString()));
            Assert.Equal(Errno.EBUSY, Refused(kernel, "/sys/bus/pci/drivers/e1000/bind", E1000.ToString()));
            Assert.Null(Read(kernel).FindDevice(E1000)!.Driver);

            // pci-stub manages no DMA (driver_managed_dma): it may still fence the device.
            BindWithOverride(kernel, E1000, "pci-stub");
            Assert.Equal("pci-stub", Read(kernel).FindDevice(E1000)!.Driver);
            Write(kernel, $"{Dir(E1000)}/driver_override", "\n");
            Write(kernel, "/sys/bus/pci/drivers/pci-stub/unbind", E1000.ToString());
        }

        // Without the holder the e1000 goes back to its driver.
        Write(kernel, DriversProbe, E1000.ToString());
        Assert.Equal("e1000", Read(kernel).FindDevice(E1000)!.Driver);
    }

    [Fact]
    public void Wrong_names_and_missing_files_get_the_kernels_errnos()
    {
        using var under = Start();
        var kernel = under.Kernel;
        // unbind_store: ENODEV unless the device is bound to that driver.
        Assert.Equal(Errno.ENODEV, Refused(kernel, "/sys/bus/pci/drivers/e1000e/unbind", E1000.ToString()));
        Assert.Equal(Errno.ENODEV, Refused(kernel, "/sys/bus/pci/drivers/e1000/unbind", Edu.ToString()));
        // An unbound device has no driver link to write through.
        Assert.Equal(Errno.ENOENT, Refused(kernel, $"{Dir(Edu)}/driver/unbind", Edu.ToString()));
        // drivers_probe_store: bus_find_device_by_name finds nothing.
        Assert.Equal(Errno.ENODEV, Refused(kernel, DriversProbe, "garbage"));
        Assert.Equal(Errno.ENODEV, Refused(kernel, DriversProbe, "0000:09:00.0"));
        Assert.Equal(Errno.ENODEV, Refused(kernel, DriversProbe, "00:02.0")); // the full name only
        Write(kernel, DriversProbe, Edu + "\n"); // sysfs_streq allows one trailing newline
        // A driver that is not registered has no directory.
        Assert.Equal(Errno.ENOENT, Refused(kernel, "/sys/bus/pci/drivers/vfioctl-absent/bind", Edu.ToString()));

        var host = Read(kernel);
        Assert.Equal("e1000", host.FindDevice(E1000)!.Driver);
        Assert.Null(host.FindDevice(Edu)!.Driver);
    }

    [Fact]
    public void The_state_directory_is_an_empty_writable_directory()
    {
        using var under = Start();
        var dir = under.Kernel.Files.Map(under.StateDirectory);
        Assert.True(Directory.Exists(dir));
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
        File.WriteAllText(Path.Combine(dir, "probe"), "x");
    }

    // ---- helpers ----

    private static string Dir(PciAddress a) => $"/sys/bus/pci/devices/{a}";

    private static HostState Read(IKernel kernel) => HostReader.Read(kernel.Files);

    private static GroupVerdict Verdict(HostState host, PciAddress member) =>
        ViabilityEvaluator.Evaluate(host, host.GroupOf(host.FindDevice(member)!)!);

    private static void Write(IKernel kernel, string path, string value) => kernel.Write(path, value, Patience);

    private static Errno Refused(IKernel kernel, string path, string value) =>
        Assert.Throws<KernelException>(() => kernel.Write(path, value, Patience)).Error;

    /// <summary>The sequence of kernel-facts section 1: override, unbind from the current driver (read from the host model), drivers_probe.</summary>
    private static void BindWithOverride(IKernel kernel, PciAddress a, string driver)
    {
        Write(kernel, $"{Dir(a)}/driver_override", driver);
        if (Read(kernel).FindDevice(a)!.Driver is { } current)
            Write(kernel, $"/sys/bus/pci/drivers/{current}/unbind", a.ToString());
        Write(kernel, DriversProbe, a.ToString());
        Assert.Equal(driver, Read(kernel).FindDevice(a)!.Driver);
    }

    /// <summary>Pids whose <c>/proc/PID/fd</c> has a link to <paramref name="node"/>, as a reader looking for holders finds them.</summary>
    private static List<int> ProcessesHolding(IKernel kernel, string node)
    {
        var pids = new List<int>();
        foreach (var entry in kernel.Files.List("/proc"))
        {
            if (!int.TryParse(entry, out var pid)) continue;
            foreach (var fd in kernel.Files.List($"/proc/{pid}/fd"))
            {
                if (kernel.Files.ReadLink($"/proc/{pid}/fd/{fd}") == node)
                {
                    pids.Add(pid);
                    break;
                }
            }
        }
        return pids;
    }

    private static bool WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(50);
        }
        return true;
    }
}
