using Vfio.Userspace;

namespace Vfio.RealKernel.Tests.Iommufd;

/// <summary>
/// vfio's unsafe no-IOMMU mode on the lab's 7.3 kernel (built with CONFIG_VFIO_NOIOMMU; Debian's
/// kernels are not), in the basic topology booted without the emulated IOMMU (scripts/lab-test's
/// "noiommu" pass): refused unless asked for, loud when asked, opened by the library as a no-IOMMU
/// group whose container maps no DMA (docs/kernel-facts.md section 5d).
/// </summary>
[Trait("topology", "noiommu")]
public sealed class NoIommuTests
{
    private static readonly PciAddress Edu = PciAddress.Parse("0000:00:02.0");
    private const string State = "/tmp/vfioctl-noiommu-state";
    private const string Mode = "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode";

    private static void RequireNoIommuGuest()
    {
        Guest.Require("basic");
        Assert.SkipUnless(!Directory.EnumerateFileSystemEntries("/sys/class/iommu").Any(), "needs a guest without an IOMMU (lab run --no-iommu)");
        Assert.SkipUnless(Guest.Kernel == "7.3", "no-IOMMU mode exists only in the lab's 7.3 kernel (Debian's are built without CONFIG_VFIO_NOIOMMU)");
    }

    [Fact]
    public void Bind_refuses_without_an_iommu_unless_noiommu_is_asked_for_and_then_warns_and_the_library_opens_it_without_dma()
    {
        RequireNoIommuGuest();
        Assert.Null(Guest.DriverOf(Edu));

        var (code, output) = InstalledVfioctl.Run("bind", Edu.ToString(), "--state-dir", State);
        Assert.Equal(3, code);
        Assert.Contains("no IOMMU groups", output);
        Assert.Contains("--noiommu", output);
        Assert.Null(Guest.DriverOf(Edu));

        (code, output) = InstalledVfioctl.Run("bind", Edu.ToString(), "--noiommu", "--state-dir", State);
        try
        {
            Assert.True(code == 0, output);
            Assert.Contains("WARNING: no-IOMMU mode", output);
            Assert.Contains("any physical memory of this host", output);
            Assert.Equal("vfio-pci", Guest.DriverOf(Edu));
            Assert.Equal("Y", File.ReadAllText(Mode).Trim());
            int group = int.Parse(Path.GetFileName(new FileInfo($"/sys/bus/pci/devices/{Edu}/iommu_group").LinkTarget!));
            Assert.True(File.Exists($"/dev/vfio/noiommu-{group}"), $"/dev/vfio/noiommu-{group} should exist");

            (code, output) = InstalledVfioctl.Run("groups");
            Assert.True(code == 0, output);
            Assert.Contains($"noiommu-{group}", output);

            // doctor: still no IOMMU (a problem), and the mode itself is loud.
            (code, output) = InstalledVfioctl.Run("doctor", "--state-dir", State);
            Assert.True(code == 3, output);
            Assert.Contains("WARN    noiommu-mode", output);
            Assert.Contains("/dev/vfio/noiommu-N with no DMA isolation at all", output);

            using (var session = VfioSession.Open(Edu))
            {
                Assert.Equal(VfioBackend.Container, session.Backend);
                Assert.True(session.Group.IsNoIommu);
                Assert.Equal(VfioExtension.NoIommu, session.Container.IommuModel);
                using var bar = session.Device.MapBar(0);
                Assert.Equal(0x010000edu, bar.Read32(0x00));
                var e = Assert.Throws<VfioException>(() => session.AllocateDma(4096));
                Assert.Equal(VfioErrorKind.NoIommu, e.Kind);
                Assert.Contains("no-IOMMU mode", e.Message);
                // Opening a no-IOMMU group taints the kernel (TAINT_USER, bit 6).
                Assert.NotEqual(0L, long.Parse(File.ReadAllText("/proc/sys/kernel/tainted").Trim()) & (1 << 6));
            }
        }
        finally
        {
            (code, output) = InstalledVfioctl.Run("restore", "--all", "--state-dir", State);
            Assert.True(code == 0, output);
        }
        Assert.Null(Guest.DriverOf(Edu));
    }
}
