using Vfio.Tests.Support;

namespace Vfio.Tests.Vm;

/// <summary>
/// Processes holding a GPU, named on the host and kept by a snapshot so a replay names them too:
/// the real H200 capture, with what the NVIDIA driver and a monitoring agent add on the host it
/// came from (the driver's per-GPU information file naming /dev/nvidia0, a process holding
/// /dev/nvidia0 and /dev/nvidiactl), as the capture then did not keep them.
/// </summary>
public sealed class GpuHoldersTests
{
    private const string Gpu = "0000:00:06.0";

    /// <summary>The H200 capture unpacked, plus the holder evidence of a process <paramref name="command"/> (pid 4242), if any.</summary>
    private static string H200Tree(string? command, out IDisposable cleanup)
    {
        var tree = Fixtures.Open("real-h200-vm-6.18");
        cleanup = tree;
        var root = tree.Directory;
        var info = Path.Combine(root, "proc/driver/nvidia/gpus", Gpu);
        Directory.CreateDirectory(info);
        // The fields the NVIDIA driver writes there; "Device Minor" maps the GPU to /dev/nvidiaN.
        File.WriteAllText(Path.Combine(info, "information"),
            "Model: \t\t NVIDIA H200\nIRQ:   \t\t 40\nBus Type: \t PCIe\nBus Location: \t 0000:00:06.0\nDevice Minor: \t 0\nGPU Excluded:\t No\n");
        if (command is not null)
        {
            var fd = Path.Combine(root, "proc/4242/fd");
            Directory.CreateDirectory(fd);
            File.WriteAllText(Path.Combine(root, "proc/4242/comm"), command + "\n");
            File.CreateSymbolicLink(Path.Combine(fd, "3"), "/dev/nvidiactl");
            File.CreateSymbolicLink(Path.Combine(fd, "4"), "/dev/nvidia0");
            File.CreateSymbolicLink(Path.Combine(fd, "5"), "/dev/null");
        }
        return root;
    }

    [Fact]
    public void A_process_holding_the_gpu_node_is_named_by_show_and_kept_by_a_snapshot_for_its_replay()
    {
        var root = H200Tree("dcgm-exporter", out var cleanup);
        using var _ = cleanup;
        var live = CliRun.Run("--root", root, "show", Gpu);
        Assert.Contains("IN USE GPU node /dev/nvidia0: held open by pid 4242 (dcgm-exporter)", live.Out);

        var snapshot = Path.Combine(Path.GetTempPath(), $"vfioctl-h200-{Guid.NewGuid():n}.tar.gz");
        try
        {
            Assert.Equal(0, CliRun.Run("--root", root, "snapshot", snapshot).ExitCode);
            var replay = CliRun.Run("--root", snapshot, "show", Gpu);
            Assert.Contains("IN USE GPU node /dev/nvidia0: held open by pid 4242 (dcgm-exporter)", replay.Out);
            var holder = Assert.Single(CliRun.Run("--root", snapshot, "--json", "show", Gpu).Json().RootElement.GetProperty("holders").EnumerateArray());
            Assert.Equal("gpu-node", holder.GetProperty("kind").GetString());
            Assert.True(holder.GetProperty("inUse").GetBoolean());
            var process = Assert.Single(holder.GetProperty("processes").EnumerateArray());
            Assert.Equal(4242, process.GetProperty("pid").GetInt32());
            Assert.Equal("dcgm-exporter", process.GetProperty("command").GetString());
        }
        finally { File.Delete(snapshot); }
    }

    [Fact]
    public void Without_a_holder_the_gpu_node_is_idle_before_and_after_a_snapshot()
    {
        var root = H200Tree(null, out var cleanup);
        using var _ = cleanup;
        Assert.Contains("idle   GPU node /dev/nvidia0, no process holds it", CliRun.Run("--root", root, "show", Gpu).Out);
        var snapshot = Path.Combine(Path.GetTempPath(), $"vfioctl-h200-{Guid.NewGuid():n}.tar.gz");
        try
        {
            Assert.Equal(0, CliRun.Run("--root", root, "snapshot", snapshot).ExitCode);
            var holder = Assert.Single(CliRun.Run("--root", snapshot, "--json", "show", Gpu).Json().RootElement.GetProperty("holders").EnumerateArray());
            Assert.False(holder.GetProperty("inUse").GetBoolean());
            Assert.Equal(0, holder.GetProperty("processes").GetArrayLength());
        }
        finally { File.Delete(snapshot); }
    }

    [Fact]
    public void A_format_1_snapshot_without_holder_evidence_still_replays()
    {
        // The capture as taken at d88c922 (format 1): no /proc/PID, no NVIDIA information file.
        var r = CliRun.Run("--root", Fixtures.Archive("real-h200-vm-6.18"), "--json", "show", Gpu);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(0, r.Json().RootElement.GetProperty("holders").GetArrayLength());
    }
}
