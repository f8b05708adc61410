using Vfio.Userspace;
using Vfio.Userspace.Interop;

namespace Vfio.Tests.Userspace;

/// <summary>The backend a session is asked for, before any node is opened.</summary>
public sealed class BackendChoiceTests
{
    // No such device on the test machine: a session that got as far as sysfs would fail with NoIommuGroup.
    private static readonly PciAddress Absent = PciAddress.Parse("0000:7f:1f.7");

    [Fact]
    public void Asking_for_iommufd_on_a_kernel_without_it_says_so_and_what_to_use()
    {
        using var root = new FakeRoot();
        var e = Assert.Throws<VfioException>(() => VfioSession.Open(Absent, new VfioSessionOptions { Backend = VfioBackend.Iommufd }, root.Paths));

        Assert.Equal(VfioErrorKind.IommuUnavailable, e.Kind);
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Contains("/dev/iommu does not exist", e.Message);
        Assert.Contains("VfioBackend.Container", e.Message);
    }

    [Fact]
    public void Iommufd_needs_the_device_cdev_in_sysfs_and_its_node_and_a_token_needs_a_kernel_whose_bind_takes_one()
    {
        using var root = new FakeRoot();
        root.File("dev/iommu");
        var device = PciAddress.Parse("0000:00:02.0");
        root.Directory($"sys/bus/pci/devices/{device}");
        Assert.Contains("has no VFIO device cdev", IommufdBackend.Unavailable(device, root.Paths, null, new Version(7, 3)));

        root.Directory($"sys/bus/pci/devices/{device}/vfio-dev/vfio3");
        Assert.Equal("/dev/vfio/devices/vfio3 does not exist", IommufdBackend.Unavailable(device, root.Paths, null, new Version(7, 3)));

        root.File("dev/vfio/devices/vfio3");
        Assert.Null(IommufdBackend.Unavailable(device, root.Paths, null, new Version(7, 3)));
        var token = new VfioDeviceOptions { VfToken = Guid.NewGuid() };
        Assert.Null(IommufdBackend.Unavailable(device, root.Paths, token, new Version(6, 17)));
        Assert.Contains("cannot pass it in the cdev bind (VFIO_DEVICE_BIND_FLAG_TOKEN came in 6.17)", IommufdBackend.Unavailable(device, root.Paths, token, new Version(6, 12)));

        // Everything is in place but /dev/iommu is a plain file here: the first ioctl says so, with its errno.
        var e = Assert.Throws<VfioException>(() => VfioSession.Open(device, new VfioSessionOptions { Backend = VfioBackend.Iommufd }, root.Paths));
        Assert.Equal("IOMMU_IOAS_ALLOC", e.Operation);
        Assert.Equal(Errno.ENOTTY, e.Errno);
    }

    [Fact]
    public void Auto_without_iommufd_goes_the_container_way()
    {
        using var root = new FakeRoot();
        // No /dev/iommu: the container starts from the device's IOMMU group in sysfs, and there is none.
        var e = Assert.Throws<VfioException>(() => VfioSession.Open(Absent, new VfioSessionOptions(), root.Paths));
        Assert.Equal(VfioErrorKind.NoIommuGroup, e.Kind);
    }

    /// <summary>A scratch root for SystemPaths.</summary>
    private sealed class FakeRoot : IDisposable
    {
        private readonly DirectoryInfo _dir = System.IO.Directory.CreateTempSubdirectory("vfio-backend-");

        public SystemPaths Paths => new(_dir.FullName);

        public void File(string relative)
        {
            var path = Path.Combine(_dir.FullName, relative);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            System.IO.File.WriteAllText(path, "");
        }

        public void Directory(string relative) => System.IO.Directory.CreateDirectory(Path.Combine(_dir.FullName, relative));

        public void Dispose() => _dir.Delete(recursive: true);
    }

    [Theory]
    [InlineData(VfioBackend.Auto)]
    [InlineData(VfioBackend.Container)]
    public void Auto_and_container_go_the_container_way(VfioBackend backend)
    {
        // The container backend starts from the device's IOMMU group in sysfs.
        var e = Assert.Throws<VfioException>(() => VfioSession.Open(Absent, new VfioSessionOptions { Backend = backend }));

        Assert.Equal(VfioErrorKind.NoIommuGroup, e.Kind);
    }

    [Fact]
    public void An_undefined_backend_is_an_argument_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => VfioSession.Open(Absent, new VfioSessionOptions { Backend = (VfioBackend)7 }));
    }

    [Fact]
    public void The_default_options_ask_for_auto()
    {
        Assert.Equal(VfioBackend.Auto, new VfioSessionOptions().Backend);
        Assert.Null(new VfioSessionOptions().Device);
    }
}
