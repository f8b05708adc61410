using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Drivers;
using Vfio.Policy.Viability;
using Vfio.Tests.Support;

namespace Vfio.Tests.Policy;

/// <summary>
/// "On VFIO" is what the kernel says (a registered VFIO device, vfio-dev/vfioN), not what the
/// driver's name looks like: a vendor VFIO driver whose name does not say vfio-pci still makes
/// its group assigned, and a driver that merely has such a name but registered nothing is judged
/// by its name as before.
/// </summary>
public sealed class VfioDeviceTests
{
    private static readonly PciAddress Edu = PciAddress.Parse("0000:00:02.0");

    private static HostState WithEduOn(string driver, string? vfioDevice)
    {
        using var tree = Fixtures.Open("lab-basic-vfio-6.12");
        var host = HostReader.Read(new HostFiles(tree.Directory));
        var edu = host.FindDevice(Edu)! with { Driver = driver, VfioDevice = vfioDevice };
        return host with { Devices = [.. host.Devices.Select(d => d.Address == Edu ? edu : d)] };
    }

    [Fact]
    public void A_vendor_vfio_driver_with_any_name_counts_as_vfio_when_it_registered_a_vfio_device()
    {
        var host = WithEduOn("acme_vgpu", "vfio0");
        var edu = host.FindDevice(Edu)!;
        Assert.True(DriverKinds.OnVfio(edu));
        Assert.Equal(DriverKind.Vfio, DriverKinds.Classify(edu));
        var verdict = ViabilityEvaluator.Evaluate(host, host.GroupOf(edu)!);
        Assert.Empty(verdict.Reasons);
    }

    [Fact]
    public void The_same_driver_without_a_vfio_device_is_a_host_driver_that_blocks_its_group()
    {
        var host = WithEduOn("acme_vgpu", null);
        var edu = host.FindDevice(Edu)!;
        Assert.False(DriverKinds.OnVfio(edu));
        var verdict = ViabilityEvaluator.Evaluate(host, host.GroupOf(edu)!);
        Assert.Contains(verdict.Reasons, r => r.Contains("acme_vgpu", StringComparison.Ordinal));
    }
}
