using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Tests.Support;

namespace Vfio.Tests.Host;

/// <summary>
/// Real captures damaged the ways sysfs goes wrong in life: truncated or garbage attributes,
/// a device gone between listing and reading, stray entries. The reader must warn, not crash.
/// </summary>
public sealed class DamagedSysfsTests : IDisposable
{
    private readonly Vfio.Host.Snapshot.SnapshotArchive _tree = Fixtures.Open("no-iommu-firecracker-6.18");
    private string DeviceDir(string bdf) =>
        Path.Combine(_tree.Directory, "sys/bus/pci/devices", bdf);

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void A_truncated_uevent_falls_back_to_the_single_value_attributes()
    {
        File.WriteAllText(Path.Combine(DeviceDir("0000:00:02.0"), "uevent"), "DRIVER=virtio-pci\nPCI_CL");
        var d = HostReader.Read(new HostFiles(_tree.Directory)).FindDevice(PciAddress.Parse("00:02.0"))!;
        Assert.Equal((ushort)0x1af4, d.VendorId);
        Assert.Equal((ushort)0x1042, d.DeviceId);
        Assert.Equal("018000", d.Class!.Value.ToString());
        Assert.Equal("virtio-pci", d.Driver);
        Assert.StartsWith("pci:v00001AF4d00001042", d.Modalias);
        Assert.Empty(d.Warnings);
    }

    [Fact]
    public void A_truncated_vendor_file_leaves_the_device_listed_with_a_warning()
    {
        File.WriteAllText(Path.Combine(DeviceDir("0000:00:02.0"), "uevent"), "");
        File.WriteAllText(Path.Combine(DeviceDir("0000:00:02.0"), "vendor"), "");
        File.WriteAllText(Path.Combine(DeviceDir("0000:00:02.0"), "class"), "0x01");
        var host = HostReader.Read(new HostFiles(_tree.Directory));
        var d = host.FindDevice(PciAddress.Parse("00:02.0"))!;
        Assert.Null(d.VendorId);
        Assert.Equal((ushort)0x1042, d.DeviceId);
        Assert.Contains(d.Warnings, w => w.Contains("'vendor'"));
        Assert.Equal("virtio-pci", d.Driver);
    }

    [Fact]
    public void A_device_removed_mid_read_is_reported_not_fatal()
    {
        // The /sys/bus/pci/devices entry exists but its target is gone, as when VFs are removed.
        var target = new DirectoryInfo(DeviceDir("0000:00:05.0")).ResolveLinkTarget(true)!.FullName;
        Directory.Delete(target, recursive: true);
        var host = HostReader.Read(new HostFiles(_tree.Directory));
        var gone = host.FindDevice(PciAddress.Parse("00:05.0"))!;
        Assert.Contains(gone.Warnings, w => w.Contains("disappeared"));
        Assert.Equal(6, host.Devices.Length);
    }

    [Fact]
    public void Garbage_in_the_devices_directory_is_ignored_with_a_warning()
    {
        File.WriteAllText(Path.Combine(_tree.Directory, "sys/bus/pci/devices/not-a-device"), "");
        var host = HostReader.Read(new HostFiles(_tree.Directory));
        Assert.Equal(6, host.Devices.Length);
        Assert.Contains(host.Warnings, w => w.Contains("not-a-device"));
    }

    [Fact]
    public void A_missing_sysfs_is_explained()
    {
        var empty = Directory.CreateTempSubdirectory("vfioctl-empty-");
        try
        {
            var host = HostReader.Read(new HostFiles(empty.FullName));
            Assert.Empty(host.Devices);
            Assert.Contains(host.Warnings, w => w.Contains("/sys/bus/pci/devices does not exist"));
        }
        finally { empty.Delete(true); }
    }

    [Fact]
    public void Cli_show_prints_what_could_be_read_and_warns()
    {
        File.Delete(Path.Combine(DeviceDir("0000:00:03.0"), "uevent"));
        File.WriteAllText(Path.Combine(DeviceDir("0000:00:03.0"), "device"), "0xzz\n");
        var r = CliRun.Run("--root", _tree.Directory, "show", "00:03.0");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("virtio-pci", r.Out);
        Assert.Contains("warning:", r.Err);
        Assert.Contains("'device'", r.Err);
    }
}
