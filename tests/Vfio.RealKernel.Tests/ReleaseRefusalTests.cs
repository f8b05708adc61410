using System.Text.Json;

namespace Vfio.RealKernel.Tests;

/// <summary>
/// restore and unbind as processes in lab guests, while this test process holds a group open:
/// the refusal in the documented JSON shape (docs/json-schema.md), exit 3, nothing changed.
/// </summary>
public class ReleaseRefusalTests
{
    private static (int Code, string Out) Cli(string state, params string[] args) => InstalledVfioctl.Run([.. args, "--state-dir", state]);

    /// <summary>The one refusal of a refused run's JSON (exit 3, canApply false).</summary>
    private static JsonElement Refusal((int Code, string Out) run)
    {
        Assert.True(run.Code == 3, $"exited {run.Code}: {run.Out}");
        var doc = JsonDocument.Parse(run.Out).RootElement;
        Assert.False(doc.GetProperty("canApply").GetBoolean());
        return Assert.Single(doc.GetProperty("refusals").EnumerateArray());
    }

    private static string Me => $"pid {Environment.ProcessId} (";

    [Fact, Trait("topology", "basic")]
    public void Restore_and_unbind_of_a_group_open_in_userspace_are_refused_in_json_with_exit_3()
    {
        Guest.Require("basic");
        using var k = LiveKernelUnderTest.Factory.Create(); // puts the guest back whatever happens
        var state = k.StateDirectory;
        var edu = PciAddress.Parse("0000:00:02.0");
        var (code, output) = Cli(state, "bind", edu.ToString());
        Assert.True(code == 0, output);
        int group = Guest.ReadHost().FindDevice(edu)!.IommuGroup!.Value;

        using (VfioGroupHold.Open(group))
        {
            var restore = Refusal(Cli(state, "restore", "--all", "--json"));
            Assert.Equal(edu.ToString(), restore.GetProperty("address").GetString());
            Assert.False(restore.GetProperty("overridable").GetBoolean());
            Assert.StartsWith($"group {group} is open in userspace ({Me}", restore.GetProperty("reason").GetString());

            var unbind = Refusal(Cli(state, "unbind", edu.ToString(), "--json"));
            Assert.False(unbind.GetProperty("overridable").GetBoolean());
            Assert.StartsWith($"{edu} is in group {group}, open in userspace ({Me}", unbind.GetProperty("reason").GetString());
            Assert.Equal("vfio-pci", Guest.DriverOf(edu));
        }

        (code, output) = Cli(state, "restore", "--all", "--json");
        Assert.True(code == 0, output);
        var done = JsonDocument.Parse(output).RootElement;
        Assert.True(done.GetProperty("succeeded").GetBoolean());
        Assert.Equal(0, done.GetProperty("refusals").GetArrayLength());
        Assert.Null(Guest.DriverOf(edu));
    }

    [Fact, Trait("topology", "sriov")]
    public void Restore_and_unbind_of_a_pf_whose_vfs_are_open_are_refused_in_json_with_exit_3()
    {
        Guest.Require("sriov");
        using var k = LiveKernelUnderTest.Factory.Create();
        var state = k.StateDirectory;
        const string Pf = "0000:01:00.0";
        var (code, output) = Cli(state, "sriov", "enable", Pf, "--vfs", "2", "--bind", "vfio-pci", "--json");
        Assert.True(code == 0, output);
        var vf = JsonDocument.Parse(output).RootElement.GetProperty("result").GetProperty("vfs")[1];
        var (vfAddress, vfGroup) = (vf.GetProperty("address").GetString()!, vf.GetProperty("iommuGroup").GetInt32());

        using (VfioGroupHold.Open(vfGroup))
        {
            var restore = Refusal(Cli(state, "restore", Pf, "--json"));
            Assert.Equal(Pf, restore.GetProperty("address").GetString());
            Assert.False(restore.GetProperty("overridable").GetBoolean());
            var reason = restore.GetProperty("reason").GetString()!;
            Assert.StartsWith($"VF {vfAddress} is open in userspace (/dev/vfio/{vfGroup} held by {Me}", reason);
            Assert.EndsWith($"restoring {Pf} removes its VFs, which would wait until that process closes it. Stop it first.", reason);

            var unbind = Refusal(Cli(state, "unbind", Pf, "--json"));
            Assert.Equal(Pf, unbind.GetProperty("address").GetString());
            Assert.StartsWith($"VF {vfAddress} is open in userspace", unbind.GetProperty("reason").GetString());
            Assert.Contains($"unbinding {Pf} from nvme may remove its VFs", unbind.GetProperty("reason").GetString());

            Assert.Equal("nvme", Guest.DriverOf(PciAddress.Parse(Pf)));
            Assert.Equal("2", File.ReadAllText($"/sys/bus/pci/devices/{Pf}/sriov_numvfs").Trim());
        }
        (code, output) = Cli(state, "sriov", "disable", Pf);
        Assert.True(code == 0, output);
        (code, output) = Cli(state, "restore", "--all");
        Assert.True(code == 0, output);
        Assert.Equal("0", File.ReadAllText($"/sys/bus/pci/devices/{Pf}/sriov_numvfs").Trim());
    }
}
