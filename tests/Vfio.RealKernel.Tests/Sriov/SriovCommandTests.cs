using System.Diagnostics;
using System.Text.Json;

namespace Vfio.RealKernel.Tests.Sriov;

/// <summary>The sriov commands as processes in a sriov lab guest: what a user runs, against the real /proc and sysfs.</summary>
[Trait("topology", "sriov")]
public class SriovCommandTests
{
    private const string Pf = "0000:01:00.0";

    private static (int Code, string Out) Cli(string state, params string[] args) => InstalledVfioctl.Run([.. args, "--state-dir", state]);

    [Fact]
    public void A_vf_held_open_makes_disable_and_restore_refuse_promptly_naming_this_process()
    {
        Guest.Require("sriov");
        using var k = LiveKernelUnderTest.Factory.Create(); // puts the guest back whatever happens
        var state = k.StateDirectory;
        var (code, output) = Cli(state, "sriov", "enable", Pf, "--vfs", "2", "--bind", "vfio-pci", "--json");
        Assert.True(code == 0, output);
        var vfs = JsonDocument.Parse(output).RootElement.GetProperty("result").GetProperty("vfs").EnumerateArray()
            .Select(v => (Address: v.GetProperty("address").GetString()!, Group: v.GetProperty("iommuGroup").GetInt32())).ToList();
        Assert.Equal(2, vfs.Count);

        using (var hold = VfioGroupHold.Open(vfs[1].Group))
        {
            var me = $"pid {Environment.ProcessId} (";
            (code, output) = Cli(state, "sriov", "list", "--json");
            Assert.Equal(0, code);
            var listed = JsonDocument.Parse(output).RootElement.GetProperty("pfs")[0].GetProperty("vfs")[1];
            Assert.Equal(Environment.ProcessId, listed.GetProperty("openBy")[0].GetProperty("pid").GetInt32());

            var watch = Stopwatch.StartNew();
            (code, output) = Cli(state, "sriov", "disable", Pf);
            Assert.True(code == 3, $"disable exited {code}: {output}");
            Assert.Contains($"VF {vfs[1].Address} is open in userspace (/dev/vfio/{vfs[1].Group} held by {me}", output);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"the refusal took {watch.Elapsed}");
            (code, output) = Cli(state, "sriov", "enable", Pf, "--vfs", "1");
            Assert.Equal(3, code);
            (code, output) = Cli(state, "restore", "--all");
            Assert.True(code == 3, $"restore exited {code}: {output}");
            Assert.Equal("2", File.ReadAllText($"/sys/bus/pci/devices/{Pf}/sriov_numvfs").Trim());
        }
        (code, output) = Cli(state, "sriov", "disable", Pf);
        Assert.True(code == 0, output);
        (code, output) = Cli(state, "restore", "--all");
        Assert.True(code == 0, output);
        Assert.Equal("nvme", Guest.DriverOf(PciAddress.Parse(Pf)));
        Assert.Equal("0", File.ReadAllText($"/sys/bus/pci/devices/{Pf}/sriov_numvfs").Trim());
    }

    [Fact]
    public void A_token_is_kept_root_only_and_printed_only_when_asked()
    {
        Guest.Require("sriov");
        using var k = LiveKernelUnderTest.Factory.Create();
        var state = k.StateDirectory;
        const string token = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
        // From standard input: the token never appears on a command line.
        var (code, output) = Guest.Run("/bin/sh", "-c", $"echo {token} | {InstalledVfioctl.Require()} sriov token {Pf} --set - --state-dir {state}");
        Assert.True(code == 0, output);
        Assert.DoesNotContain(token, output);
        var file = Path.Combine(state, "vf-tokens.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Contains(token, File.ReadAllText(file));

        (code, output) = Cli(state, "sriov", "token", Pf, "--json");
        Assert.Equal(0, code);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(output).RootElement.GetProperty("token").ValueKind);
        (code, output) = Cli(state, "sriov", "token", Pf, "--show-token");
        Assert.Equal(0, code);
        Assert.Contains(token, output);

        (code, output) = Cli(state, "sriov", "token", "0000:00:03.0", "--generate");
        Assert.Equal(1, code);
        Assert.Contains("neither an SR-IOV PF nor a VF", output);
        (code, output) = Cli(state, "sriov", "token", Pf, "--set", "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f");
        Assert.Equal(2, code);
        Assert.DoesNotContain("0f1e2d3c", output);
    }

    [Fact]
    public void A_token_set_with_the_cli_on_a_userspace_pf_is_the_one_its_vfs_open_with()
    {
        Guest.Require("sriov");
        using var k = LiveKernelUnderTest.Factory.Create();
        var state = k.StateDirectory;
        var vf = PciAddress.Parse("0000:01:00.1");
        try
        {
            var (code, output) = Cli(state, "sriov", "enable", Pf, "--vfs", "2", "--pf-driver", "vfio-pci");
            Assert.True(code == 0, output);
            Assert.Equal("vfio-pci", Guest.DriverOf(PciAddress.Parse(Pf)));

            // vfioctl opens the PF through the VFIO library and sets the token with VFIO_DEVICE_FEATURE,
            // through the device cdev where the kernel has iommufd, else the group, and says which.
            const string token = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
            (code, output) = Guest.Run("/bin/sh", "-c", $"echo {token} | {InstalledVfioctl.Require()} sriov token {Pf} --set - --state-dir {state}");
            Assert.True(code == 0, output);
            Assert.DoesNotContain(token, output);
            Assert.Contains(Userspace.Backends.KernelHasIommufd ? "through the device cdev /dev/vfio/devices/vfio" : "through the group /dev/vfio/", output);

            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (Guest.DriverOf(vf) != "vfio-pci" && DateTime.UtcNow < deadline) Thread.Sleep(100);
            var wrong = Userspace.OpenFailure.Expect(() => Vfio.Userspace.VfioSession.Open(vf, new Vfio.Userspace.VfioDeviceOptions { VfToken = Guid.NewGuid() }));
            Assert.Equal(13, (int)wrong.Errno);
            using (var session = Vfio.Userspace.VfioSession.Open(vf, new Vfio.Userspace.VfioDeviceOptions { VfToken = Guid.Parse(token) }))
                Assert.Equal(0x1b36, session.Device.Config.VendorId);
        }
        finally
        {
            var (code, output) = Cli(state, "restore", "--all");
            Assert.True(code == 0, output);
        }
        Assert.Equal("nvme", Guest.DriverOf(PciAddress.Parse(Pf)));
        Assert.Equal("0", File.ReadAllText($"/sys/bus/pci/devices/{Pf}/sriov_numvfs").Trim());
    }
}
