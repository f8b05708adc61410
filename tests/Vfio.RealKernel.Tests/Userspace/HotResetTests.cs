using Vfio.Userspace;

namespace Vfio.RealKernel.Tests.Userspace;

/// <summary>
/// Hot (bus) reset through both backends, and <c>vfioctl reset</c>. Group 4 of the basic topology
/// holds the e1000 and the edu behind the pcie-pci-bridge: a reset of that bus reaches both. Through
/// the group the session's group fd proves ownership of both; through the cdev the kernel counts the
/// e1000 as owned because it shares the edu's IOMMU group (docs/kernel-facts.md section 5b). Fenced
/// with pci-stub, the e1000 is outside vfio-pci's reset set, and the reset is refused naming it.
/// </summary>
[Trait("topology", "basic")]
public sealed class HotResetTests
{
    private static readonly PciAddress Nvme = PciAddress.Parse("0000:01:00.0");

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public void A_hot_reset_of_the_bridge_bus_goes_through_when_both_functions_are_owned_and_is_refused_naming_the_other_when_not(VfioBackend backend)
    {
        Guest.Require("basic");
        using (var bound = VfioBinding.ToVfio(Edu.E1000, Edu.BehindBridge))
        using (var session = Backends.Open(Edu.BehindBridge, backend))
        {
            var affected = session.Device.GetHotResetInfo();
            Assert.Equal([Edu.E1000, Edu.BehindBridge], affected.Select(d => d.Address).Order());
            Assert.All(affected, d => Assert.Equal(4, d.GroupId));
            if (backend == VfioBackend.Iommufd)
            {
                // The edu has its own id in the iommufd; the e1000 is owned through the shared group.
                Assert.Equal(session.Device.IommufdDeviceId, affected.Single(d => d.Address == Edu.BehindBridge).DeviceId);
                Assert.Equal(VfioHotResetDevice.DevIdOwned, affected.Single(d => d.Address == Edu.E1000).DeviceId);
                Assert.All(affected, d => Assert.True(d.Owned));
            }
            session.HotReset();
            using var bar = session.Device.MapBar(0);
            Assert.Equal(0x010000edu, bar.Read32(Edu.Id));
        }

        using (var fenced = VfioBinding.Bind((Edu.E1000, "pci-stub"), (Edu.BehindBridge, "vfio-pci")))
        using (var session = Backends.Open(Edu.BehindBridge, backend))
        {
            if (backend == VfioBackend.Iommufd)
                Assert.False(session.Device.GetHotResetInfo().Single(d => d.Address == Edu.E1000).Owned);
            var e = Assert.Throws<VfioException>(() => session.HotReset());
            Assert.Equal(VfioErrorKind.NotOwned, e.Kind);
            Assert.True(e.Message.Contains("not owned: 0000:03:01.0 (pci-stub, IOMMU group 4)", StringComparison.Ordinal), e.Message);
            Assert.Contains("vfioctl bind 0000:03:01.0", e.Hint);
        }
    }

    [Fact]
    public void Vfioctl_reset_uses_the_method_asked_for_reports_the_kernels_refusal_and_refuses_what_it_cannot_own()
    {
        Guest.Require("basic");
        using var bound = VfioBinding.Bind((Nvme, "vfio-pci"), (Edu.Alone, "vfio-pci"), (Edu.E1000, "vfio-pci"), (Edu.BehindBridge, "vfio-pci"));
        string nvmeMethods = $"/sys/bus/pci/devices/{Nvme}/reset_method";
        string methods = File.ReadAllText(nvmeMethods).Trim();
        Assert.Equal("flr bus", methods);
        string path = Backends.KernelHasIommufd ? "iommufd" : "container";

        var (code, output) = InstalledVfioctl.Run("reset", Nvme.ToString(), "--method", "flr");
        Assert.True(code == 0, output);
        Assert.Contains($"reset {Nvme} with flr (VFIO_DEVICE_RESET through {path}", output);
        Assert.Equal(methods, File.ReadAllText(nvmeMethods).Trim());

        // The kernel lists bus for the NVMe behind QEMU's root port but cannot do it (observed: ENOTTY):
        // the errno is reported, and the device's list of methods is put back all the same.
        (code, output) = InstalledVfioctl.Run("reset", Nvme.ToString(), "--method", "bus");
        Assert.Equal(1, code);
        Assert.Contains("VFIO_DEVICE_RESET on 0000:01:00.0 failed (ENOTTY", output);
        Assert.Equal(methods, File.ReadAllText(nvmeMethods).Trim());

        // Both functions behind the bridge are on vfio-pci: a hot reset of that bus goes through.
        (code, output) = InstalledVfioctl.Run("reset", Edu.BehindBridge.ToString(), "--method", "hot");
        Assert.True(code == 0, output);
        Assert.Contains($"hot reset of {Edu.BehindBridge} (VFIO_DEVICE_PCI_HOT_RESET through {path}", output);
        Assert.Contains("it reset 0000:03:01.0, 0000:03:02.0", output);

        // Fenced with pci-stub, the e1000 is not owned: refused, naming it.
        Guest.BindWithOverride(Edu.E1000, "pci-stub");
        (code, output) = InstalledVfioctl.Run("reset", Edu.BehindBridge.ToString(), "--method", "hot");
        Assert.Equal(3, code);
        Assert.Contains("0000:03:01.0 (pci-stub, IOMMU group 4)", output);

        // edu has no reset method at all: refused before anything is opened.
        (code, output) = InstalledVfioctl.Run("reset", Edu.Alone.ToString(), "--method", "flr");
        Assert.Equal(3, code);
        Assert.Contains("has no reset method the kernel can use", output);

        // A device on a kernel driver is not reset through VFIO.
        (code, output) = InstalledVfioctl.Run("reset", "0000:00:05.0");
        Assert.Equal(3, code);
        Assert.Contains("vfioctl resets devices on a vfio driver", output);
    }
}
