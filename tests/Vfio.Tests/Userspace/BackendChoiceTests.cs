using Vfio.Userspace;

namespace Vfio.Tests.Userspace;

/// <summary>The backend a session is asked for, before any node is opened.</summary>
public sealed class BackendChoiceTests
{
    // No such device on the test machine: a session that got as far as sysfs would fail with NoIommuGroup.
    private static readonly PciAddress Absent = PciAddress.Parse("0000:7f:1f.7");

    [Fact]
    public void Asking_for_iommufd_fails_first_saying_it_is_not_implemented_and_what_to_use()
    {
        var e = Assert.Throws<VfioException>(() => VfioSession.Open(Absent, new VfioSessionOptions { Backend = VfioBackend.Iommufd }));

        Assert.Equal(VfioErrorKind.NotSupported, e.Kind);
        Assert.Equal((Errno)0, e.Errno);
        Assert.Contains("does not implement the iommufd backend yet", e.Message);
        Assert.Contains("/dev/iommu", e.Message);
        Assert.Contains("Next: open with VfioBackend.Auto or VfioBackend.Container", e.Message);
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
