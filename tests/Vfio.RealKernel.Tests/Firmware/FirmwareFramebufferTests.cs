using System.Text.Json;

namespace Vfio.RealKernel.Tests.Firmware;

/// <summary>
/// A guest booted through UEFI (OVMF), where efifb keeps the boot VGA's BAR 0 reserved
/// (kernel-facts section 10). Trait topology=uefi: scripts/lab-test runs it in `lab run --topology
/// in-use --firmware uefi --append modprobe.blacklist=bochs` (so bochs-drm does not take the VGA
/// over); in any other guest it is skipped. The oracle is the kernel's own /proc/iomem and the
/// VGA's resource file.
/// </summary>
public class FirmwareFramebufferTests
{
    private const string Vga = "0000:00:01.0";
    private const string EfifbUnbind = "/sys/bus/platform/drivers/efi-framebuffer/unbind";
    private const string EfifbBind = "/sys/bus/platform/drivers/efi-framebuffer/bind";

    private static void RequireUefiFramebuffer()
    {
        Guest.Require("in-use");
        Assert.SkipUnless(Directory.Exists("/sys/firmware/efi"), "needs a guest booted through UEFI (lab run --firmware uefi)");
        Assert.SkipUnless(File.ReadAllText("/proc/cmdline").Contains("modprobe.blacklist=bochs", StringComparison.Ordinal),
            "needs bochs-drm kept off (lab run --append modprobe.blacklist=bochs), or it removes efifb at boot");
    }

    /// <summary>The efifb line nested in the VGA's entry of /proc/iomem, or null.</summary>
    private static string? EfifbInVgaBar()
    {
        var lines = File.ReadAllLines("/proc/iomem");
        for (int i = 0; i + 1 < lines.Length; i++)
            if (lines[i].EndsWith(" : " + Vga, StringComparison.Ordinal) && lines[i + 1].TrimStart().EndsWith(" : efifb", StringComparison.Ordinal))
                return lines[i + 1].Trim();
        return null;
    }

    [Fact, Trait("topology", "uefi")]
    public void Show_plan_and_doctor_name_efifb_in_bar_0_and_the_printed_fixes_free_it()
    {
        RequireUefiFramebuffer();
        Assert.NotNull(EfifbInVgaBar()); // the kernel's own account: efifb inside the VGA's BAR
        var bar0 = File.ReadAllLines($"/sys/bus/pci/devices/{Vga}/resource")[0].Split(' ');
        string range = $"[mem 0x{Convert.ToUInt64(bar0[0], 16):x}-0x{Convert.ToUInt64(bar0[1], 16):x}]";

        // show: the BAR, its range as the kernel placed it, the owner and the fix.
        var (code, show) = InstalledVfioctl.Run("show", Vga);
        Assert.True(code == 0, show);
        Assert.Contains($"BAR 0 {range} is reserved by efifb", show);
        Assert.Contains("echo efi-framebuffer.0 > /sys/bus/platform/drivers/efi-framebuffer/unbind", show);
        var (_, json) = InstalledVfioctl.Run("show", Vga, "--json");
        using (var doc = JsonDocument.Parse(json))
        {
            var c = Assert.Single(doc.RootElement.GetProperty("barConflicts").EnumerateArray());
            Assert.Equal(("efifb", 0), (c.GetProperty("owner").GetString(), c.GetProperty("bar").GetInt32()));
        }

        // doctor: the conflict among the host's findings (information on a VGA-class function, with the
        // fix), and for the boot VGA named, the refusal of the plan beside it.
        var (doctorCode, doctor) = InstalledVfioctl.Run("doctor", "--state-dir", "/tmp/vfioctl-firmware-doctor");
        Assert.True(doctorCode == 0, doctor);
        Assert.Contains($"info    bar-conflict         BAR 0 {range} is reserved by efifb", doctor);
        Assert.Contains("fix: boot with video=efifb:off", doctor);
        (doctorCode, doctor) = InstalledVfioctl.Run("doctor", Vga, "--state-dir", "/tmp/vfioctl-firmware-doctor");
        Assert.True(doctorCode == 3, doctor);
        Assert.Contains($"`vfioctl bind {Vga}` is refused: {Vga} is the boot VGA", doctor);
        Assert.Contains($"BAR 0 {range} is reserved by efifb", doctor);

        // Without root the kernel prints /proc/iomem with zero addresses: the conflict is still found, on an unnamed BAR.
        var (userCode, asUser) = Guest.Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", InstalledVfioctl.Require(), "show", Vga);
        Assert.True(userCode == 0, asUser);
        Assert.Contains("a BAR is reserved by efifb", asUser);
        Assert.Contains("run as root to see which BAR", asUser);

        // plan: refused for the boot VGA; --force applies and still names efifb (a note: vfio-pci clears it on a VGA).
        Assert.Equal(3, InstalledVfioctl.Run("plan", Vga).Code);
        var (forcedCode, forced) = InstalledVfioctl.Run("plan", Vga, "--force");
        Assert.True(forcedCode == 0, forced);
        Assert.Contains($"note: {Vga} BAR 0 {range} is reserved by efifb", forced);

        // The run-time fix show printed frees the BAR; binding efifb again brings the conflict back.
        Guest.WriteSysfs(EfifbUnbind, "efi-framebuffer.0");
        try
        {
            Assert.Null(EfifbInVgaBar());
            var (_, after) = InstalledVfioctl.Run("show", Vga);
            Assert.DoesNotContain("efifb", after);
        }
        finally
        {
            Guest.WriteSysfs(EfifbBind, "efi-framebuffer.0");
        }
        Assert.NotNull(EfifbInVgaBar());
        Assert.Contains("is reserved by efifb", InstalledVfioctl.Run("show", Vga).Out);

        // vfio-pci removes the firmware framebuffer from a VGA-class function when it binds it.
        const string state = "/tmp/vfioctl-firmware-fb";
        var (bindCode, bind) = InstalledVfioctl.Run("bind", Vga, "--force", "--state-dir", state);
        Assert.True(bindCode == 0, bind);
        try
        {
            Assert.Equal("vfio-pci", Guest.DriverOf(PciAddress.Parse(Vga)));
            Assert.Null(EfifbInVgaBar());
            Assert.DoesNotContain("efifb", InstalledVfioctl.Run("show", Vga).Out);
        }
        finally
        {
            InstalledVfioctl.Run("restore", Vga, "--state-dir", state);
        }
    }
}
