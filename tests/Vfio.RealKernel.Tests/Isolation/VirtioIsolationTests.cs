using System.Text.Json;

namespace Vfio.RealKernel.Tests.Isolation;

/// <summary>
/// The virtio topology's two virtio-net functions on any lab kernel (kernel-facts section 5a): the
/// one without iommu_platform negotiated no VIRTIO_F_ACCESS_PLATFORM, so its group's isolation is
/// not real and plan refuses it (overridable); the one with iommu_platform=on is isolated and plans
/// like any device. The negotiated features go into the journal at bind.
/// </summary>
[Trait("topology", "virtio")]
public class VirtioIsolationTests
{
    private const string Honours = "0000:01:00.0";
    private const string Bypasses = "0000:02:00.0";
    private const string State = "/tmp/vfioctl-isolation-state";

    private static (int Code, string Out) Cli(params string[] args) => InstalledVfioctl.Run(args);

    private static string Features(string address)
    {
        var virtio = Directory.GetDirectories($"/sys/bus/pci/devices/{address}").Select(Path.GetFileName).Single(n => n!.StartsWith("virtio", StringComparison.Ordinal) && char.IsAsciiDigit(n[6]));
        return File.ReadAllText($"/sys/bus/pci/devices/{address}/{virtio}/features").Trim();
    }

    [Fact]
    public void The_kernel_negotiated_access_platform_only_for_the_device_with_iommu_platform()
    {
        Guest.Require("virtio");
        Assert.Equal('1', Features(Honours)[33]);
        Assert.Equal('0', Features(Bypasses)[33]);
    }

    [Fact]
    public void A_virtio_device_without_access_platform_is_shown_as_not_isolated_and_refused_unless_forced()
    {
        Guest.Require("virtio");
        var (code, output) = Cli("show", Bypasses);
        Assert.True(code == 0, output);
        Assert.Contains("isolation          NOT REAL: a member DMAs around the IOMMU", output);
        Assert.Contains("did not negotiate VIRTIO_F_ACCESS_PLATFORM (feature bit 33)", output);

        using (var groups = JsonDocument.Parse(Cli("--json", "groups").Out))
        {
            var byDevice = groups.RootElement.GetProperty("groups").EnumerateArray()
                .SelectMany(g => g.GetProperty("devices").EnumerateArray().Select(d => (Address: d.GetProperty("address").GetString(), Group: g)))
                .ToDictionary(x => x.Address!, x => x.Group.GetProperty("isolation").GetString());
            Assert.Equal("not-real", byDevice[Bypasses]);
            Assert.Equal("real", byDevice[Honours]);
        }

        (code, output) = Cli("plan", Bypasses);
        Assert.True(code == 3, $"plan of a device that bypasses the IOMMU exited {code}: {output}");
        Assert.Contains("iommu_platform=on", output);
        (code, output) = Cli("plan", Bypasses, "--force");
        Assert.True(code == 0, output);
    }

    [Fact]
    public void The_device_that_honours_the_iommu_binds_and_the_journal_keeps_its_features()
    {
        Guest.Require("virtio");
        var before = Features(Honours);
        var (code, output) = Cli("show", Honours);
        Assert.DoesNotContain("isolation ", output);
        (code, output) = Cli("bind", Honours, "--state-dir", State);
        Assert.True(code == 0, output);
        try
        {
            using var journal = JsonDocument.Parse(File.ReadAllText(Path.Combine(State, "journal.json")));
            var entry = journal.RootElement.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("address").GetString() == Honours);
            Assert.Equal(before, entry.GetProperty("originalVirtioFeatures").GetString());
            Assert.Equal("virtio-pci", entry.GetProperty("originalDriver").GetString());
        }
        finally
        {
            (code, output) = Cli("restore", Honours, "--state-dir", State);
        }
        Assert.True(code == 0, output);
        Assert.Equal("virtio-pci", Guest.DriverOf(PciAddress.Parse(Honours)));
    }
}
