namespace Vfio.RealKernel.Tests.Iommufd;

/// <summary>
/// The lab's 7.3 kernel (built with iommufd, the VFIO device cdev and virtio_vfio_pci; docs/lab.md)
/// in the virtio topology: vfioctl sees both paths (the cdev of a device on vfio-pci, /dev/iommu),
/// and picks, binds and restores a real variant driver from modules.alias, with a generic device
/// beside it on vfio-pci.
/// </summary>
[Trait("topology", "virtio")]
public class CdevAndVariantTests
{
    private static readonly PciAddress Edu = PciAddress.Parse("0000:00:02.0");
    private static readonly PciAddress VirtioNet = PciAddress.Parse("0000:01:00.0");
    private const string State = "/tmp/vfioctl-variant-state";

    private static (int Code, string Out) Cli(params string[] args) => InstalledVfioctl.Run(args);

    private static void Require73()
    {
        Guest.Require("virtio");
        Assert.SkipUnless(Guest.Kernel == "7.3", "iommufd, the VFIO cdev and virtio_vfio_pci exist only in the lab's 7.3 kernel");
    }

    [Fact]
    public void A_device_on_vfio_pci_gets_a_cdev_and_show_and_groups_report_it_and_iommufd()
    {
        Require73();
        // iommufd is a module that loading vfio pulls in: before any bind it may not be loaded yet.
        var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        Assert.Contains("iommufd.ko", File.ReadAllText($"/lib/modules/{release}/modules.dep"));
        var (code, output) = Cli("bind", Edu.ToString(), "--state-dir", State);
        Assert.True(code == 0, output);
        try
        {
            var vfioDev = Assert.Single(Directory.GetDirectories($"/sys/bus/pci/devices/{Edu}/vfio-dev").Select(Path.GetFileName));
            var cdev = $"/dev/vfio/devices/{vfioDev}";
            Assert.True(File.Exists(cdev), $"{cdev} should exist for a device on vfio-pci");
            Assert.True(File.Exists("/dev/iommu"), "/dev/iommu appears once iommufd is loaded (vfio loads it)");

            (code, output) = Cli("show", Edu.ToString());
            Assert.True(code == 0, output);
            Assert.Contains($"vfio device        {vfioDev}: {cdev} (opens through iommufd, /dev/iommu)", output);
            using var json = System.Text.Json.JsonDocument.Parse(Cli("--json", "show", Edu.ToString()).Out);
            Assert.Equal(cdev, json.RootElement.GetProperty("vfioCdev").GetString());

            (code, output) = Cli("groups");
            Assert.Contains("; iommufd: /dev/iommu)", output);
            Assert.Contains(cdev, output);
            using var groups = System.Text.Json.JsonDocument.Parse(Cli("--json", "groups").Out);
            Assert.True(groups.RootElement.GetProperty("iommu").GetProperty("iommufd").GetBoolean());

            // vm-args gives a VMM the iommufd form when the cdev and /dev/iommu are there.
            (code, output) = Cli("vm-args", Edu.ToString());
            Assert.True(code == 0, output);
            Assert.Contains("-object iommufd,id=vfioctl-iommufd0", output);
            Assert.Contains($"-device vfio-pci,host={Edu},", output);
            Assert.Contains(",iommufd=vfioctl-iommufd0", output);
        }
        finally
        {
            Cli("restore", Edu.ToString(), "--state-dir", State);
        }
    }

    [Fact]
    public void The_virtio_net_function_goes_to_virtio_vfio_pci_from_modules_alias_and_comes_back_to_virtio_pci()
    {
        Require73();
        var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        Assert.Contains("virtio_vfio_pci", File.ReadAllText($"/lib/modules/{release}/modules.alias"));
        Assert.Equal("virtio-pci", Guest.DriverOf(VirtioNet));

        var (code, output) = Cli("plan", VirtioNet.ToString(), Edu.ToString(), "--json");
        Assert.True(code == 0, output);
        using (var plan = System.Text.Json.JsonDocument.Parse(output))
        {
            var steps = plan.RootElement.GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("address").GetString()!);
            Assert.Equal("virtio_vfio_pci", steps[VirtioNet.ToString()].GetProperty("to").GetString());
            Assert.Equal("virtio_vfio_pci", steps[VirtioNet.ToString()].GetProperty("module").GetString());
            Assert.Equal("vfio-pci", steps[Edu.ToString()].GetProperty("to").GetString());
        }

        (code, output) = Cli("bind", VirtioNet.ToString(), Edu.ToString(), "--state-dir", State);
        Assert.True(code == 0, output);
        try
        {
            Assert.Equal("virtio_vfio_pci", Guest.DriverOf(VirtioNet));
            Assert.Equal("vfio-pci", Guest.DriverOf(Edu));
            // A variant driver is a VFIO driver: the function has a VFIO device and a cdev.
            Assert.True(Directory.Exists($"/sys/bus/pci/devices/{VirtioNet}/vfio-dev"), "virtio_vfio_pci registers a VFIO device");
            (code, output) = Cli("groups");
            Assert.Contains("assigned", output);
        }
        finally
        {
            (code, output) = Cli("restore", VirtioNet.ToString(), Edu.ToString(), "--state-dir", State);
        }
        Assert.True(code == 0, output);
        Assert.Equal("virtio-pci", Guest.DriverOf(VirtioNet));
        Assert.Null(Guest.DriverOf(Edu));
    }
}
