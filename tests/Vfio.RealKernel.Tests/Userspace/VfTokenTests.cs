using Vfio.Userspace;

namespace Vfio.RealKernel.Tests.Userspace;

/// <summary>
/// The VF token against a real kernel (kernel-facts section 4): an NVMe PF driven through vfio-pci
/// with enable_sriov, its token set with VFIO_DEVICE_FEATURE, VFs opened with and without it. With
/// each backend the guest's kernel has: through the group open string (container), and through
/// the cdev bind's VFIO_DEVICE_BIND_FLAG_TOKEN (iommufd, 7.3).
/// </summary>
[Trait("topology", "sriov")]
public sealed class VfTokenTests
{
    private static readonly PciAddress Pf = PciAddress.Parse("0000:01:00.0");
    private static readonly PciAddress Vf = PciAddress.Parse("0000:01:00.1");

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public void A_vf_of_a_userspace_pf_opens_only_with_the_token_the_pf_set(VfioBackend backend)
    {
        Guest.Require("sriov");
        Guest.Sh("modprobe vfio-pci && echo Y > /sys/module/vfio_pci/parameters/enable_sriov");
        var token = Guid.NewGuid();
        var numvfs = $"/sys/bus/pci/devices/{Pf}/sriov_numvfs";
        using var bound = VfioBinding.ToVfio(Pf);
        using (var pf = Backends.Open(Pf, backend))
        {
            pf.Device.SetVfToken(token);
            Guest.WriteSysfs(numvfs, "2");
            try
            {
                WaitForVfio(Vf);

                var without = OpenFailure.Expect(() => Backends.Open(Vf, backend));
                Assert.Equal(VfioErrorKind.VfTokenRejected, without.Kind);
                Assert.Equal(backend == VfioBackend.Iommufd ? "VFIO_DEVICE_BIND_IOMMUFD" : "VFIO_GROUP_GET_DEVICE_FD", without.Operation);
                Assert.Equal(13, (int)without.Errno);
                Assert.Contains("needs a VF token (it is a VF of a PF driven from userspace)", without.Message);

                var wrong = OpenFailure.Expect(() => Backends.Open(Vf, backend, new VfioDeviceOptions { VfToken = Guid.NewGuid() }));
                Assert.Equal(VfioErrorKind.VfTokenRejected, wrong.Kind);
                Assert.Contains("does not match", wrong.Message);

                using (var vf = Backends.Open(Vf, backend, new VfioDeviceOptions { VfToken = token }))
                {
                    Assert.True(vf.Device.Info.IsPci);
                    Assert.Equal(backend == VfioBackend.Iommufd, vf.Device.Cdev is not null);
                    Assert.Equal(0x1b36, vf.Device.Config.VendorId);
                    // A VF has no token of its own to set.
                    var notPf = Assert.Throws<VfioException>(() => vf.Device.SetVfToken(token));
                    Assert.Equal(VfioErrorKind.NotSupported, notPf.Kind);
                }
            }
            finally
            {
                // Every VF fd is closed by now: sriov_numvfs=0 would block on an open one.
                Guest.WriteSysfs(numvfs, "0");
            }
        }
    }

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public void A_token_given_when_opening_a_pf_becomes_the_token_its_vfs_need(VfioBackend backend)
    {
        Guest.Require("sriov");
        Guest.Sh("modprobe vfio-pci && echo Y > /sys/module/vfio_pci/parameters/enable_sriov");
        var token = Guid.NewGuid();
        var numvfs = $"/sys/bus/pci/devices/{Pf}/sriov_numvfs";
        using var bound = VfioBinding.ToVfio(Pf);
        using (var pf = Backends.Open(Pf, backend, new VfioDeviceOptions { VfToken = token }))
        {
            Guest.WriteSysfs(numvfs, "1");
            try
            {
                WaitForVfio(Vf);
                OpenFailure.Expect(() => Backends.Open(Vf, backend));
                using var vf = Backends.Open(Vf, backend, new VfioDeviceOptions { VfToken = token });
                Assert.Equal(0x1b36, vf.Device.Config.VendorId);
            }
            finally
            {
                Guest.WriteSysfs(numvfs, "0");
            }
        }
    }

    private static void WaitForVfio(PciAddress vf)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Guest.DriverOf(vf) != "vfio-pci" || (Backends.KernelHasIommufd && !Directory.Exists($"/sys/bus/pci/devices/{vf}/vfio-dev")))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{vf} did not bind to vfio-pci (driver {Guest.DriverOf(vf) ?? "none"})");
            Thread.Sleep(100);
        }
    }
}
