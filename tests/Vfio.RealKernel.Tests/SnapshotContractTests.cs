using Vfio.Host.Reading;
using Vfio.Host.Snapshot;
using Vfio.Host.Sysfs;

namespace Vfio.RealKernel.Tests;

/// <summary>
/// A snapshot of the real kernel replays the same host. With VFIOCTL_FIXTURE_OUT set, the
/// snapshot is also kept there: that is how tests/fixtures are captured from real kernels.
/// </summary>
[Trait("topology", "basic"), Trait("topology", "sriov"), Trait("topology", "in-use")]
public class SnapshotContractTests
{
    /// <summary>A device's BARs printed, Resizable BAR sizes included.</summary>
    private static string BarsText(Vfio.Host.Model.PciDevice d) =>
        string.Join("; ", d.Bars.Select(x => $"{x with { ResizableSizes = [] }} sizes {string.Join(",", x.ResizableSizes)}"));

    [Fact]
    public void A_snapshot_of_the_live_kernel_replays_the_same_model()
    {
        Guest.Require("basic", "sriov", "in-use");
        var live = HostReader.Read(HostFiles.System);
        var file = Path.Combine(Path.GetTempPath(), $"lab-{Guest.Topology}-{Guest.Kernel}.tar.gz");
        using (var f = File.Create(file))
            new SnapshotWriter(HostFiles.System).Write(f, "contract-test");
        using (var archive = SnapshotArchive.Open(file))
        {
            var replay = HostReader.Read(new HostFiles(archive.Directory));
            Assert.Equal(live.KernelRelease, replay.KernelRelease);
            Assert.Equal(live.Devices.Length, replay.Devices.Length);
            for (int i = 0; i < live.Devices.Length; i++)
            {
                var a = live.Devices[i];
                var b = replay.Devices[i];
                // Records hold immutable arrays: compare their printed forms field by field.
                Assert.Equal(a with { Holders = [], ResetMethods = [], Warnings = [], Sriov = null, Bars = [] }, b with { Holders = [], ResetMethods = [], Warnings = [], Sriov = null, Bars = [] });
                Assert.Equal(BarsText(a), BarsText(b));
                Assert.Equal(a.ResetMethods, b.ResetMethods);
                Assert.Equal(a.Sriov?.VirtualFunctions ?? [], b.Sriov?.VirtualFunctions ?? []);
                Assert.Equal(a.Holders.Select(h => h.Describe()), b.Holders.Select(h => h.Describe()));
            }
            Assert.Equal(live.Groups.Select(g => (g.Id, g.Type, string.Join(",", g.Devices))), replay.Groups.Select(g => (g.Id, g.Type, string.Join(",", g.Devices))));
            Assert.Equal(0, archive.Skipped);
        }
        var keep = Environment.GetEnvironmentVariable("VFIOCTL_FIXTURE_OUT");
        if (!string.IsNullOrEmpty(keep))
        {
            Directory.CreateDirectory(keep);
            File.Copy(file, Path.Combine(keep, Path.GetFileName(file)), overwrite: true);
        }
        File.Delete(file);
    }
}
