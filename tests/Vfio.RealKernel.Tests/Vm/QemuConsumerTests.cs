using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Vfio.RealKernel.Tests.Vm;

/// <summary>
/// A real VMM as the consumer of what vfioctl assigns: after <c>vfioctl bind</c>, Debian's QEMU
/// (the host's qemu-system-x86_64, seen by the guest) realizes the device with
/// <c>-device vfio-pci,host=ADDR</c> and lists it in <c>info pci</c>; while QEMU holds it,
/// <c>restore</c> is refused naming QEMU and <c>doctor</c> names it; after QEMU quits, restore
/// returns the driver the device had. For the edu device (basic topology) and an NVMe VF (sriov
/// topology). QEMU is started with its CPUs stopped (-S): realizing the device is what opens the
/// group, attaches the container and maps guest RAM for DMA, and no guest code has to run under
/// emulation inside emulation.
/// </summary>
public sealed class QemuConsumerTests
{
    private const string State = "/tmp/vfioctl-qemu-consumer";

    /// <summary>A QEMU with its monitor on stdin/stdout; disposing quits it (or kills it).</summary>
    private sealed class Qemu : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        public Qemu(string device)
        {
            var qemu = new[] { "/usr/bin/qemu-system-x86_64", "/usr/local/bin/qemu-system-x86_64" }.FirstOrDefault(File.Exists);
            Assert.SkipWhen(qemu is null, "needs qemu-system-x86_64 (Debian's qemu-system-x86)");
            var start = new ProcessStartInfo(qemu!,
            [
                "-machine", "q35", "-accel", "tcg", "-m", "64M", "-nodefaults", "-display", "none", "-serial", "none",
                "-S", "-monitor", "stdio", "-device", $"vfio-pci,host={device},id=assigned",
            ])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            _process = Process.Start(start)!;
            _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine("stderr: " + e.Data); };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public int Pid => _process.Id;

        public string Output { get { lock (_output) return _output.ToString(); } }

        /// <summary>Asks the monitor for <c>info pci</c> until <paramref name="vendorDevice"/> is listed; fails with QEMU's output if it exits or takes over 120 s.</summary>
        public string WaitForDevice(string vendorDevice)
        {
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < TimeSpan.FromSeconds(120))
            {
                Assert.False(_process.HasExited, $"QEMU exited ({(_process.HasExited ? _process.ExitCode : 0)}):\n{Output}");
                _process.StandardInput.WriteLine("info pci");
                _process.StandardInput.Flush();
                Thread.Sleep(1000);
                if (Output.Contains($"PCI device {vendorDevice}", StringComparison.Ordinal)) return Output;
            }
            Assert.Fail($"QEMU did not list {vendorDevice} in 120 s:\n{Output}");
            return "";
        }

        public void Quit()
        {
            if (_process.HasExited) return;
            _process.StandardInput.WriteLine("quit");
            _process.StandardInput.Flush();
            if (!_process.WaitForExit(30_000)) { _process.Kill(); _process.WaitForExit(); }
        }

        public void Dispose()
        {
            try { Quit(); }
            catch (IOException) { }
            if (!_process.HasExited) { _process.Kill(); _process.WaitForExit(); }
            _process.Dispose();
        }
    }

    private static (int Code, string Out) Cli(params string[] args) => InstalledVfioctl.Run([.. args, "--state-dir", State]);

    /// <summary>bind; QEMU realizes it; restore refused naming QEMU and doctor naming it; QEMU quits; restore returns <paramref name="original"/>.</summary>
    private static void ConsumeAndRelease(string device, string vendorDevice, string? original)
    {
        var (code, output) = Cli("bind", device, "--driver", "vfio-pci");
        Assert.True(code == 0, output);
        try
        {
            Assert.Equal("vfio-pci", Guest.DriverOf(PciAddress.Parse(device)));
            using (var qemu = new Qemu(device))
            {
                var info = qemu.WaitForDevice(vendorDevice);
                Assert.Contains("id \"assigned\"", info);

                (code, output) = Cli("restore", device);
                Assert.True(code == 3, $"restore while QEMU (pid {qemu.Pid}) holds {device} exited {code}: {output}");
                Assert.Contains($"pid {qemu.Pid} (qemu-system-x86", output);
                Assert.Equal("vfio-pci", Guest.DriverOf(PciAddress.Parse(device)));

                (code, output) = Cli("doctor", "--json");
                using (var doc = JsonDocument.Parse(output))
                {
                    var users = doc.RootElement.GetProperty("findings").EnumerateArray()
                        .Single(f => f.GetProperty("check").GetString() == "vfio-users" && f.GetProperty("device").GetString() == device);
                    Assert.Contains($"pid {qemu.Pid} (qemu-system-x86", users.GetProperty("summary").GetString());
                }
                qemu.Quit();
            }
            (code, output) = Cli("restore", device);
            Assert.True(code == 0, output);
            Assert.Equal(original, Guest.DriverOf(PciAddress.Parse(device)));
        }
        finally
        {
            Cli("restore", "--all");
        }
    }

    [Fact, Trait("topology", "basic")]
    public void Qemu_realizes_the_bound_edu_and_restore_waits_for_it_naming_it()
    {
        Guest.Require("basic");
        Assert.SkipUnless(Directory.EnumerateFileSystemEntries("/sys/class/iommu").Any(), "needs the emulated IOMMU");
        Assert.SkipWhen(File.ReadAllText("/proc/cmdline").Contains("intremap=off", StringComparison.Ordinal), "needs interrupt remapping");
        ConsumeAndRelease("0000:00:02.0", "1234:11e8", original: null);
    }

    [Fact, Trait("topology", "sriov")]
    public void Qemu_realizes_a_bound_nvme_vf_and_restore_waits_for_it_naming_it()
    {
        Guest.Require("sriov");
        const string pf = "0000:01:00.0";
        // Autoprobe off: QEMU's NVMe VFs are offline secondary controllers, so nvme probes them and
        // gives up some time later (seen on 6.1), and "the driver it had" would depend on when it is read.
        var (code, output) = Cli("sriov", "enable", pf, "--vfs", "1", "--autoprobe", "off", "--json");
        Assert.True(code == 0, output);
        try
        {
            var vf = JsonDocument.Parse(output).RootElement.GetProperty("result").GetProperty("vfs")[0].GetProperty("address").GetString()!;
            Assert.Null(Guest.DriverOf(PciAddress.Parse(vf)));
            ConsumeAndRelease(vf, "1b36:0010", original: null);
        }
        finally
        {
            Cli("sriov", "disable", pf);
            Cli("restore", "--all");
        }
        Assert.Equal("0", File.ReadAllText($"/sys/bus/pci/devices/{pf}/sriov_numvfs").Trim());
        Assert.Equal("nvme", Guest.DriverOf(PciAddress.Parse(pf)));
    }
}
