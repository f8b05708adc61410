using System.Text.RegularExpressions;

namespace Vfio.RealKernel.Tests.Isolation;

/// <summary>
/// A real consumer of what vfioctl binds: Debian's DPDK 22.11 (<c>dpdk-testpmd</c> from dpdk-dev,
/// the virtio PMD from librte-net-virtio23; .ci/run installs them on the host, whose root the guest
/// uses) sends packets through the virtio topology's virtio-net that negotiated
/// VIRTIO_F_ACCESS_PLATFORM, after <c>vfioctl bind --driver vfio-pci</c>. DPDK requires SSE4.2, so
/// scripts/lab-test boots this topology with <c>--cpu max</c>. The function without
/// ACCESS_PLATFORM is refused by plan and bind (VirtioIsolationTests): its DMA would bypass the IOMMU
/// and testpmd would wait forever on its control queue (docs/kernel-facts.md section 5a).
/// </summary>
[Trait("topology", "virtio")]
public sealed partial class DpdkTestpmdTests
{
    private const string Honours = "0000:01:00.0";
    private const string State = "/tmp/vfioctl-dpdk-state";
    private const string VirtioPmd = "/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0/librte_net_virtio.so.23";

    [GeneratedRegex(@"Accumulated forward statistics.*?TX-packets:\s+(\d+)", RegexOptions.Singleline)]
    private static partial Regex TxPackets();

    [Fact]
    public void Dpdk_testpmd_sends_packets_through_the_virtio_net_that_honours_the_iommu_once_vfioctl_binds_it()
    {
        Guest.Require("virtio");
        Assert.True(File.ReadAllText("/proc/cpuinfo").Contains(" sse4_2", StringComparison.Ordinal),
            "DPDK needs SSE4.2: boot the guest with --cpu max (scripts/lab-test does for this topology)");
        var testpmd = Guest.Run("/bin/sh", "-c", "command -v dpdk-testpmd").Out.Trim();
        Assert.True(testpmd.Length > 0 && File.Exists(VirtioPmd), "dpdk-testpmd and the virtio PMD are missing: install dpdk-dev and librte-net-virtio23 (.ci/run does)");

        var (code, output) = InstalledVfioctl.Run("bind", Honours, "--driver", "vfio-pci", "--state-dir", State);
        Assert.True(code == 0, output);
        try
        {
            Guest.Sh("echo 128 > /proc/sys/vm/nr_hugepages; mkdir -p /dev/hugepages; mountpoint -q /dev/hugepages || mount -t hugetlbfs none /dev/hugepages");
            // txonly for 15 s on one forwarding core; SIGINT makes testpmd stop and print its totals.
            (code, output) = Guest.Run("timeout", "-s", "INT", "15", testpmd, "-l", "0-1", "-n", "1", "-a", Honours, "-d", VirtioPmd, "--iova-mode=va",
                "--", "--forward-mode=txonly", "--nb-cores=1", "--total-num-mbufs=8192", "--stats-period", "5");
            Assert.Contains("Probe PCI driver: net_virtio (1af4:1041) device: 0000:01:00.0", output);
            var match = TxPackets().Match(output);
            Assert.True(match.Success, "testpmd printed no forward statistics:\n" + output);
            long sent = long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            TestContext.Current.SendDiagnosticMessage($"dpdk-testpmd txonly through {Honours}: {sent} packets sent in 15 s");
            Assert.True(sent > 0, "testpmd sent nothing:\n" + output);
        }
        finally
        {
            Guest.Run("/bin/sh", "-c", "umount /dev/hugepages; echo 0 > /proc/sys/vm/nr_hugepages");
            var (restoreCode, restoreOutput) = InstalledVfioctl.Run("restore", "--all", "--state-dir", State);
            Assert.True(restoreCode == 0, restoreOutput);
        }
    }
}
