using System.Diagnostics;

namespace Vfio.RealKernel.Tests;

/// <summary>
/// A second display device on its DRM driver (the in-use topology's bochs-display at 00:06.0,
/// bochs-drm) is not refused for being a GPU: idle, it binds and restores; while a process holds
/// its DRM node, bind is refused naming that process; once it exits, bind succeeds. The boot VGA
/// carries the framebuffer console, and show says so.
/// </summary>
public class GpuHolderTests
{
    private const string Display = "0000:00:06.0";
    private const string State = "/tmp/vfioctl-gpu-holder";

    private static (int Code, string Out) Cli(params string[] args) => InstalledVfioctl.Run(args);

    /// <summary>The DRM card node of <see cref="Display"/> now (its number changes when the driver rebinds).</summary>
    private static string CardNode()
    {
        var card = Directory.GetDirectories($"/sys/bus/pci/devices/{Display}/drm").Select(Path.GetFileName).Single(n => n!.StartsWith("card", StringComparison.Ordinal));
        return "/dev/dri/" + card;
    }

    [Fact, Trait("topology", "in-use")]
    public void An_idle_second_gpu_binds_and_a_held_one_is_refused_naming_the_process()
    {
        Guest.Require("in-use");
        Assert.Equal("bochs-drm", Guest.DriverOf(PciAddress.Parse(Display)));

        var (code, output) = Cli("show", Display);
        Assert.True(code == 0, output);
        Assert.Contains($"idle   DRM card {Path.GetFileName(CardNode())} ({CardNode()}", output);
        Assert.Contains("no process holds it", output);

        (code, output) = Cli("plan", Display);
        Assert.True(code == 0, $"plan of an idle second display device exited {code}: {output}");

        (code, output) = Cli("bind", Display, "--state-dir", State);
        Assert.True(code == 0, output);
        Assert.Equal("vfio-pci", Guest.DriverOf(PciAddress.Parse(Display)));
        (code, output) = Cli("restore", Display, "--state-dir", State);
        Assert.True(code == 0, output);
        Assert.Equal("bochs-drm", Guest.DriverOf(PciAddress.Parse(Display)));

        // A process holding the card node open: refused, named, nothing changed.
        var node = CardNode();
        using (var holder = Process.Start(new ProcessStartInfo("sh", ["-c", $"exec 3<{node}; exec sleep 300"]))!)
        {
            try
            {
                WaitUntilHeld(holder.Id, node);
                (code, output) = Cli("bind", Display, "--state-dir", State);
                Assert.True(code == 3, $"bind while pid {holder.Id} holds {node} exited {code}: {output}");
                Assert.Contains($"held open by pid {holder.Id} (sleep)", output);
                Assert.Contains("Close the processes named", output);
                Assert.Equal("bochs-drm", Guest.DriverOf(PciAddress.Parse(Display)));
                // doctor on the device says the same: a problem, the holder named.
                (code, output) = Cli("doctor", Display, "--state-dir", State);
                Assert.True(code == 3, $"doctor while pid {holder.Id} holds {node} exited {code}: {output}");
                Assert.Contains($"`vfioctl bind {Display}` is refused", output);
                Assert.Contains($"held open by pid {holder.Id} (sleep)", output);
            }
            finally
            {
                holder.Kill();
                holder.WaitForExit();
            }
        }

        (code, output) = Cli("bind", Display, "--state-dir", State);
        Assert.True(code == 0, $"bind after the holder exited: {output}");
        Assert.Equal("vfio-pci", Guest.DriverOf(PciAddress.Parse(Display)));
        (code, output) = Cli("restore", Display, "--state-dir", State);
        Assert.True(code == 0, output);
    }

    [Fact, Trait("topology", "in-use")]
    public void Show_says_when_the_framebuffer_console_is_on_the_boot_vga()
    {
        Guest.Require("in-use");
        bool fbcon = Directory.GetDirectories("/sys/class/vtconsole").Any(v =>
            File.ReadAllText(Path.Combine(v, "bind")).Trim() == "1" && File.ReadAllText(Path.Combine(v, "name")).Contains("frame buffer", StringComparison.Ordinal));
        var fb0Device = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(
            Path.Combine("/sys/class/graphics", new FileInfo("/sys/class/graphics/fb0").LinkTarget ?? "fb0")))));
        var (code, output) = Cli("show", "00:01.0");
        Assert.True(code == 0, output);
        if (fbcon && fb0Device == "0000:00:01.0")
            Assert.Contains("the framebuffer console (fbcon) is on its framebuffer fb0", output);
        else
            Assert.Fail($"expected fbcon bound on the boot VGA's fb0 in this guest (fbcon bound: {fbcon}, fb0 on {fb0Device})");
    }

    private static void WaitUntilHeld(int pid, string node)
    {
        for (int i = 0; i < 100; i++)
        {
            if (Directory.Exists($"/proc/{pid}/fd") && Directory.GetFiles($"/proc/{pid}/fd").Any(f => new FileInfo(f).LinkTarget == node)) return;
            Thread.Sleep(50);
        }
        Assert.Fail($"pid {pid} did not open {node}");
    }
}
