using Vfio.Execution.Kernel;
using Vfio.Userspace;
using Vfio.Userspace.Interop;

namespace Vfio.Tests.Userspace;

/// <summary>
/// What the library says when the kernel refuses: a fake sysfs/procfs tree shaped like the lab's
/// basic topology (group 4: the pcie-pci-bridge, an e1000 on its kernel driver, an edu on vfio-pci).
/// </summary>
public sealed class ErrorMessageTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vfio-errors-").FullName;
    private readonly SystemPaths _paths;

    public ErrorMessageTests()
    {
        _paths = new SystemPaths(_root);
        Member("0000:00:05.0", null);
        Member("0000:03:01.0", "e1000");
        Member("0000:03:02.0", "vfio-pci");
        Directory.CreateDirectory(Path.Combine(_root, "sys/bus/pci/devices/0000:03:02.0"));
        File.CreateSymbolicLink(Path.Combine(_root, "sys/bus/pci/devices/0000:03:02.0/iommu_group"), "../../../kernel/iommu_groups/4");
        Directory.CreateDirectory(Path.Combine(_root, "sys/bus/pci/devices/0000:00:02.0"));
        Directory.CreateDirectory(Path.Combine(_root, "proc/4242/fd"));
        File.CreateSymbolicLink(Path.Combine(_root, "proc/4242/fd/7"), "/dev/vfio/4");
        File.CreateSymbolicLink(Path.Combine(_root, "proc/4242/fd/8"), "/dev/vfio/vfio");
        File.WriteAllText(Path.Combine(_root, "proc/4242/comm"), "qemu-system-x86\n");
        Directory.CreateDirectory(Path.Combine(_root, "proc/4243/fd"));
        File.CreateSymbolicLink(Path.Combine(_root, "proc/4243/fd/3"), "/dev/vfio/5");
        Directory.CreateDirectory(Path.Combine(_root, "dev/vfio"));
        File.WriteAllText(Path.Combine(_root, "dev/vfio/4"), "");
    }

    private void Member(string name, string? driver)
    {
        var dir = Path.Combine(_root, "sys/kernel/iommu_groups/4/devices", name);
        Directory.CreateDirectory(dir);
        if (driver is not null) File.CreateSymbolicLink(Path.Combine(dir, "driver"), "../../../bus/pci/drivers/" + driver);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Eperm_on_set_container_names_the_member_whose_driver_blocks_and_the_fix()
    {
        var e = VfioErrors.NotViable(4, _paths.Members(4));
        Assert.Equal(VfioErrorKind.GroupNotViable, e.Kind);
        Assert.Equal(1, (int)e.Errno);
        Assert.Equal("VFIO_GROUP_SET_CONTAINER", e.Operation);
        Assert.Contains("0000:03:01.0 is bound to e1000", e.Message);
        Assert.DoesNotContain("0000:03:02.0 is bound", e.Message);
        Assert.DoesNotContain("0000:00:05.0 is bound", e.Message);
        Assert.Contains("vfioctl bind 0000:03:01.0", e.Hint);
        Assert.StartsWith("VFIO_GROUP_SET_CONTAINER on /dev/vfio/4 failed (EPERM, errno 1): IOMMU group 4 is not viable", e.Message);
    }

    [Fact]
    public void Ebusy_on_opening_a_group_names_the_holder_process()
    {
        var e = VfioErrors.GroupOpen(4, Errno.EBUSY, _paths, 0);
        Assert.Equal(VfioErrorKind.GroupBusy, e.Kind);
        Assert.Contains("held by pid 4242 (qemu-system-x86)", e.Message);
        Assert.DoesNotContain("4243", e.Message);
    }

    [Fact]
    public void Ebusy_without_visible_holders_says_how_to_find_them()
    {
        var e = VfioErrors.GroupOpen(6, Errno.EBUSY, _paths, 1000);
        Assert.Contains("fuser -v /dev/vfio/6", e.Message);
    }

    [Fact]
    public void A_missing_group_node_says_nothing_is_bound_to_vfio_and_lists_the_members()
    {
        var e = VfioErrors.GroupOpen(4, Errno.ENOENT, _paths, 0, "0000:03:02.0");
        Assert.Equal(VfioErrorKind.GroupNodeMissing, e.Kind);
        Assert.Contains("no device of IOMMU group 4 is bound to a vfio driver", e.Message);
        Assert.Contains("0000:03:01.0 (e1000)", e.Message);
        Assert.Equal("bind the group to vfio-pci, e.g. `vfioctl bind 0000:03:02.0`.", e.Hint);
    }

    [Fact]
    public void An_ungranted_group_node_says_it_is_not_accessible_and_how_to_grant_it()
    {
        var e = VfioErrors.GroupOpen(4, Errno.EACCES, _paths, 65534);
        Assert.Equal(VfioErrorKind.GroupNodeNotAccessible, e.Kind);
        Assert.Contains("the group node /dev/vfio/4 is not accessible to this user (uid 65534)", e.Message);
        Assert.Contains("owner uid", e.Message);
        Assert.Contains("chown 65534 /dev/vfio/4", e.Hint);
        Assert.Contains("RLIMIT_MEMLOCK", e.Hint);
        Assert.StartsWith("open /dev/vfio/4 failed (EACCES, errno 13): the group node", e.Message);
    }

    [Fact]
    public void Enomem_on_map_dma_reports_the_memlock_limit_and_how_to_raise_it()
    {
        var e = VfioErrors.Memlock(0x1000, 2 << 20, 65536, 65536);
        Assert.Equal(VfioErrorKind.MemlockLimit, e.Kind);
        Assert.Equal(12, (int)e.Errno);
        Assert.Contains("pinning 2097152 bytes at IOVA 0x1000 exceeded RLIMIT_MEMLOCK (soft 65536 bytes, hard 65536 bytes)", e.Message);
        Assert.Contains("prlimit --pid", e.Hint);
        Assert.Contains("ulimit -l", e.Hint);
        Assert.Contains("(ENOMEM, errno 12)", e.Message);
    }

    [Fact]
    public void The_group_of_a_device_comes_from_its_iommu_group_link()
    {
        Assert.Equal(4, VfioGroup.NumberOf(PciAddress.Parse("0000:03:02.0"), _paths));
    }

    [Fact]
    public void A_device_without_a_group_or_missing_altogether_is_explained()
    {
        var none = Assert.Throws<VfioException>(() => VfioGroup.NumberOf(PciAddress.Parse("0000:00:02.0"), _paths));
        Assert.Equal(VfioErrorKind.NoIommuGroup, none.Kind);
        Assert.Contains("intel_iommu=on", none.Hint);
        var missing = Assert.Throws<VfioException>(() => VfioGroup.NumberOf(PciAddress.Parse("0000:09:00.0"), _paths));
        Assert.Contains("there is no PCI device 0000:09:00.0", missing.Message);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("vfio-pci", true)]
    [InlineData("mlx5_vfio_pci", true)]
    [InlineData("xe-vfio-pci", true)]
    [InlineData("pci-stub", true)]
    [InlineData("pcieport", true)]
    [InlineData("e1000", false)]
    [InlineData("nvme", false)]
    public void Members_keep_a_group_viable_only_on_driver_managed_dma_drivers(string? driver, bool allows)
    {
        Assert.Equal(allows, new VfioGroupMember("0000:00:00.0", driver).AllowsUserOwnership);
    }

    [Fact]
    public void Memlock_limits_print_readably()
    {
        Assert.Equal("unlimited", VfioErrors.FormatLimit(ulong.MaxValue));
        Assert.Equal("8 MiB", VfioErrors.FormatLimit(8 << 20));
        Assert.Equal("65536 bytes", VfioErrors.FormatLimit(65536));
    }

    [Fact]
    public void Both_exceptions_name_the_errno_in_their_own_form_from_the_one_table()
    {
        // VfioException: "(NAME, errno N)" after "failed"; nothing when the failure was found in userspace.
        var reset = new VfioException(VfioErrorKind.NotSupported, "VFIO_DEVICE_RESET", "0000:00:02.0", Errno.ENOTTY, "the device has no reset.");
        Assert.Equal("VFIO_DEVICE_RESET on 0000:00:02.0 failed (ENOTTY, errno 25): the device has no reset.", reset.Message);
        Assert.Equal("ENOTTY", reset.ErrnoName);
        Assert.Equal(Errno.ETIMEDOUT, new VfioException(VfioErrorKind.Failed, "poll", null, Errno.ETIMEDOUT, "x.").Errno);
        Assert.Contains("failed (ETIMEDOUT, errno 110): x.", new VfioException(VfioErrorKind.Failed, "poll", null, Errno.ETIMEDOUT, "x.").Message);
        var found = new VfioException(VfioErrorKind.IovaExhausted, "allocate IOVA", null, 0, "no room.");
        Assert.Equal("allocate IOVA failed: no room.", found.Message);
        Assert.Null(found.ErrnoName);
        Assert.Contains("failed (errno 200, errno 200)", new VfioException(VfioErrorKind.Failed, "op", null, (Errno)200, "x.").Message);

        // KernelException: "NAME (description)", the name again where there is no description.
        Assert.Equal("writing '0000:00:02.0' to /sys/bus/pci/drivers/e1000/bind failed: ENODEV (no such device (the driver does not match it))",
            new KernelException("writing '0000:00:02.0' to /sys/bus/pci/drivers/e1000/bind", Errno.ENODEV).Message);
        Assert.Equal("op failed: EIO (EIO). Look.", new KernelException("op", Errno.EIO, "Look.").Message);
        Assert.Equal("op failed: errno 200 (errno 200)", new KernelException("op", (Errno)200).Message);
        Assert.Equal(Errno.EBUSY, new KernelException("op", Errno.EBUSY).Error);
    }
}
