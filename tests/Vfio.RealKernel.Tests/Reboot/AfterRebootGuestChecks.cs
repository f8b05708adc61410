using System.Text.Json;
using Vfio.RealKernel.Tests.Userspace;
using Vfio.Userspace;

namespace Vfio.RealKernel.Tests.Reboot;

/// <summary>
/// Checks run inside the guest of a second boot by the host-side reboot tests (trait
/// <c>guest=after-reboot</c>, never part of a topology's run): after the declared state was applied
/// at boot, a VF of the userspace PF opens with the token vfioctl stored in boot 1, and not with
/// another or none (kernel-facts section 4).
/// </summary>
[Trait("guest", "after-reboot")]
public sealed class AfterRebootGuestChecks
{
    private static readonly PciAddress Pf = PciAddress.Parse("0000:01:00.0");
    private static readonly PciAddress Vf = PciAddress.Parse("0000:01:00.1");

    [Fact]
    public void A_vf_opens_with_the_token_stored_before_the_reboot_and_not_with_another()
    {
        Guest.Require("sriov");
        using var doc = JsonDocument.Parse(File.ReadAllText("/var/lib/vfioctl/vf-tokens.json"));
        var stored = doc.RootElement.GetProperty("tokens").EnumerateArray().Single(t => t.GetProperty("pf").GetString() == Pf.ToString());
        var token = Guid.Parse(stored.GetProperty("token").GetString()!);
        Assert.Equal("vfio-pci", Guest.DriverOf(Pf));
        Assert.Equal("vfio-pci", Guest.DriverOf(Vf));

        var wrong = OpenFailure.Expect(() => VfioSession.Open(Vf, new VfioDeviceOptions { VfToken = Guid.NewGuid() }));
        Assert.Equal(VfioErrorKind.VfTokenRejected, wrong.Kind);
        var none = OpenFailure.Expect(() => VfioSession.Open(Vf));
        Assert.Equal(VfioErrorKind.VfTokenRejected, none.Kind);
        using var vf = VfioSession.Open(Vf, new VfioDeviceOptions { VfToken = token });
        Assert.Equal(0x1b36, vf.Device.Config.VendorId);
    }
}
