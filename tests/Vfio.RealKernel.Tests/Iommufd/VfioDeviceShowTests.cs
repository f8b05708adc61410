namespace Vfio.RealKernel.Tests.Iommufd;

/// <summary>On every lab kernel: show names the VFIO device of a function on vfio-pci, and says whether it has a cdev.</summary>
[Trait("topology", "basic")]
public class VfioDeviceShowTests
{
    private static readonly PciAddress Edu = PciAddress.Parse("0000:00:02.0");
    private const string State = "/tmp/vfioctl-vfio-device-state";

    private static (int Code, string Out) Cli(params string[] args) => InstalledVfioctl.Run(args);

    [Fact]
    public void Show_names_the_vfio_device_of_a_device_on_vfio_pci_and_whether_it_has_a_cdev()
    {
        Guest.Require("basic");
        var (code, output) = Cli("bind", Edu.ToString(), "--state-dir", State);
        Assert.True(code == 0, output);
        try
        {
            // Every kernel registers the VFIO device (vfio-dev/vfioN); only one with VFIO_DEVICE_CDEV makes its node.
            var vfioDev = Assert.Single(Directory.GetDirectories($"/sys/bus/pci/devices/{Edu}/vfio-dev").Select(Path.GetFileName));
            (code, output) = Cli("show", Edu.ToString());
            Assert.True(code == 0, output);
            if (File.Exists($"/dev/vfio/devices/{vfioDev}"))
                Assert.Contains($"vfio device        {vfioDev}: /dev/vfio/devices/{vfioDev}", output);
            else
                Assert.Contains($"vfio device        {vfioDev}: no cdev (the kernel has no VFIO_DEVICE_CDEV: only the group node opens it)", output);
            Assert.Equal(Guest.Kernel == "7.3", File.Exists($"/dev/vfio/devices/{vfioDev}"));
        }
        finally
        {
            Cli("restore", Edu.ToString(), "--state-dir", State);
        }
    }
}
