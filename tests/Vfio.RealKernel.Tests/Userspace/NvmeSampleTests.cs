using System.Globalization;
using System.Text.RegularExpressions;
using Vfio.Samples.Nvme;

namespace Vfio.RealKernel.Tests.Userspace;

/// <summary>
/// samples/Nvme run as a user would run it (<c>dotnet artifacts/bin/Nvme/debug/Nvme.dll ADDR</c>)
/// on the basic topology's QEMU NVMe controller: what it identifies must be what the kernel's nvme
/// driver reported for the same controller, and what it wrote must be what the kernel's nvme driver
/// reads from the disk once the controller is back with it.
/// </summary>
[Trait("topology", "basic")]
public sealed partial class NvmeSampleTests
{
    /// <summary>The NVMe controller behind root port rp1, alone in IOMMU group 8 (docs/lab.md).</summary>
    private static readonly PciAddress Controller = PciAddress.Parse("0000:01:00.0");
    private const string StateDir = "/tmp/vfioctl-nvme-sample";
    private static readonly TimeSpan DiskTimeout = TimeSpan.FromSeconds(60);

    private static string Dotnet =>
        Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    /// <summary>artifacts/bin/Vfio.RealKernel.Tests/&lt;config&gt;/ -> artifacts/bin/&lt;project&gt;/&lt;config&gt;/&lt;project&gt;.dll</summary>
    private static string Artifact(string project)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var dll = Path.Combine(dir.Parent!.Parent!.FullName, project, dir.Name, project + ".dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first");
        return dll;
    }

    private static (int Code, string Output) Sample(PciAddress address, Vfio.Userspace.VfioBackend backend = Vfio.Userspace.VfioBackend.Auto) =>
        Guest.Run(Dotnet, Artifact("Nvme"), address.ToString(), "--backend", backend.ToString().ToLowerInvariant());

    private static (int Code, string Output) Vfioctl(params string[] args) => Guest.Run(Dotnet, [Artifact("vfioctl"), .. args, "--state-dir", StateDir]);

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public void The_sample_identifies_the_controller_as_the_kernel_did_and_the_kernel_reads_back_the_blocks_it_wrote(Vfio.Userspace.VfioBackend backend)
    {
        Guest.Require("basic");
        Assert.Equal("nvme", Guest.DriverOf(Controller));
        // What the kernel's nvme driver reported, read before the controller leaves it.
        var kernel = KernelController.Of(Controller);
        Assert.Equal("labnvme0", kernel.Serial); // the lab's -device nvme,serial=labnvme0

        var (bindCode, bindOutput) = Vfioctl("bind", Controller.ToString());
        int code;
        string output;
        try
        {
            Assert.True(bindCode == 0, bindOutput);
            Assert.Equal("vfio-pci", Guest.DriverOf(Controller));
            (code, output) = Sample(Controller, backend);
        }
        finally
        {
            var (restoreCode, restoreOutput) = Vfioctl("restore", "--all");
            Assert.True(restoreCode == 0, restoreOutput);
        }
        Assert.True(code == 0, output);
        Assert.Contains($"backend {backend.ToString().ToLowerInvariant()}", output);
        Assert.DoesNotContain("FAIL", output);
        Assert.Matches(@"nvme 0000:01:00\.0: all \d+ checks passed", output);
        foreach (var check in new[] { "reset", "enable", "identify-controller", "identify-namespace", "io-queues", "write", "read", "compare", "out-of-range", "msi-x", "shutdown" })
            Assert.Contains($"ok   {check}: ", output);

        // Identify Controller as the sample decoded it, against the kernel's sysfs attributes.
        Assert.Equal(kernel.Model, Line(output, "model"));
        Assert.Equal(kernel.Serial, Line(output, "serial"));
        Assert.Equal(kernel.Firmware, Line(output, "firmware"));

        var pattern = PatternLine().Match(output);
        Assert.True(pattern.Success, "no pattern line in: " + output);
        ulong runId = ulong.Parse(pattern.Groups["run"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        ulong first = ulong.Parse(pattern.Groups["lba"].Value, CultureInfo.InvariantCulture);
        int count = int.Parse(pattern.Groups["count"].Value, CultureInfo.InvariantCulture);
        int blockSize = int.Parse(pattern.Groups["bs"].Value, CultureInfo.InvariantCulture);
        Assert.Equal("1", pattern.Groups["nsid"].Value);
        Assert.True(count > 0);

        // Back on nvme (restore re-probed it): the namespace's block device reappears, and a direct
        // read (no page cache: the data comes from the controller) returns every block the sample wrote.
        Assert.Equal("nvme", Guest.DriverOf(Controller));
        var disk = KernelController.WaitForNamespaceDisk(Controller, DiskTimeout);
        Assert.Equal(blockSize.ToString(CultureInfo.InvariantCulture), File.ReadAllText($"/sys/block/{disk}/queue/logical_block_size").Trim());
        var copy = $"/tmp/{disk}-readback.bin";
        Guest.Sh($"dd if=/dev/{disk} of={copy} iflag=direct bs={blockSize} skip={first} count={count} status=none");
        var data = File.ReadAllBytes(copy);
        Assert.Equal(count * blockSize, data.Length);
        var problems = new List<string>();
        for (int i = 0; i < count && problems.Count < 5; i++)
            if (BlockPattern.Check(data.AsSpan(i * blockSize, blockSize), runId, first + (ulong)i) is { } p) problems.Add(p);
        Assert.True(problems.Count == 0, $"/dev/{disk} LBA {first}+{count}: " + string.Join("; ", problems));
    }

    [Fact]
    public void On_a_controller_still_bound_to_nvme_the_sample_exits_1_and_says_to_bind_it_to_vfio_pci()
    {
        Guest.Require("basic");
        Guest.Sh("modprobe vfio-pci");
        Assert.Equal("nvme", Guest.DriverOf(Controller));
        var (code, output) = Sample(Controller);
        Assert.True(code == 1, $"exit {code}: {output}");
        Assert.Contains("cannot open the device through VFIO", output);
        Assert.Contains("/dev/vfio/8 does not exist: no device of IOMMU group 8 is bound to a vfio driver", output);
        Assert.Contains("0000:01:00.0 (nvme)", output);
        Assert.Contains("vfioctl bind 0000:01:00.0", output);
        // It bound nothing and touched nothing: the kernel still has the controller and its disk.
        Assert.Equal("nvme", Guest.DriverOf(Controller));
        KernelController.WaitForNamespaceDisk(Controller, DiskTimeout);
    }

    [Fact]
    public void On_a_device_that_is_not_an_nvme_controller_the_sample_refuses_before_touching_its_registers()
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        var (code, output) = Sample(Edu.Alone);
        Assert.True(code == 1, $"exit {code}: {output}");
        Assert.Contains("FAIL pci: 1234:11e8, class 0x00ff00 (not an NVMe controller: expected class 0x010802)", output);
        // The class is checked before the controller is: no NVMe register was read or written.
        Assert.DoesNotContain("ok   controller", output);
        Assert.DoesNotContain("reset", output);
        Assert.DoesNotContain("model:", output);
    }

    private static string Line(string output, string key)
    {
        var m = Regex.Match(output, $"^{key}: (.*)$", RegexOptions.Multiline);
        Assert.True(m.Success, $"no '{key}:' line in: {output}");
        return m.Groups[1].Value.TrimEnd('\r');
    }

    [GeneratedRegex(@"^pattern: run-id (?<run>[0-9a-f]{16}) nsid (?<nsid>\d+) lba (?<lba>\d+) count (?<count>\d+) block-size (?<bs>\d+)\r?$", RegexOptions.Multiline)]
    private static partial Regex PatternLine();
}
