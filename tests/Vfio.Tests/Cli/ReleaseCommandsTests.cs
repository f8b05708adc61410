using System.Text.Json;
using Vfio.Tests.Simulation;
using Vfio.Tests.Support;

namespace Vfio.Tests.Cli;

/// <summary>
/// restore and unbind against the simulated kernel: their refusals in text and in JSON (exit 3),
/// and the result of a run that happened, with the refusals it overrode.
/// </summary>
public sealed class ReleaseCommandsTests
{
    private static readonly string Holder = $"pid {SimulatedKernel.FirstHolderPid} ({SimulatedKernel.HolderComm})";

    private static CliResult Run(SimulatedKernelUnderTest sim, params string[] args) =>
        CliRun.Run(new Vfioctl.CliServices { Kernel = _ => sim.Kernel, TokenApplier = _ => null }, ["--root", sim.Kernel.Files.Root, .. args]);

    private static JsonElement Refusal(CliResult r)
    {
        Assert.True(r.ExitCode == 3, $"exit {r.ExitCode}: {r.Out}{r.Err}");
        var doc = r.Json().RootElement;
        Assert.False(doc.GetProperty("canApply").GetBoolean());
        return Assert.Single(doc.GetProperty("refusals").EnumerateArray());
    }

    private static string? DriverOf(SimulatedKernelUnderTest sim, string address) => Contracts.Assignment.AssignmentFlow.DriverOf(sim.Kernel, address);

    [Fact]
    public void Restore_and_unbind_of_a_group_open_in_userspace_are_refused_naming_the_holder()
    {
        using var sim = new SimulatedKernelUnderTest();
        Assert.Equal(0, Run(sim, "bind", "00:02.0").ExitCode);
        using (sim.HoldGroupOpen(1))
        {
            var restore = Run(sim, "restore", "--all", "--json");
            var refusal = Refusal(restore);
            Assert.Equal("0000:00:02.0", refusal.GetProperty("address").GetString());
            Assert.False(refusal.GetProperty("overridable").GetBoolean());
            Assert.Equal($"group 1 is open in userspace ({Holder}): close it first; restoring now would block or fail.", refusal.GetProperty("reason").GetString());
            Assert.Equal(["0000:00:02.0"], restore.Json().RootElement.GetProperty("devices").EnumerateArray().Select(d => d.GetString()));

            var unbind = Run(sim, "unbind", "00:02.0", "--json");
            Assert.Equal($"0000:00:02.0 is in group 1, open in userspace ({Holder}): unbinding would block until it is closed.",
                Refusal(unbind).GetProperty("reason").GetString());
            Assert.False(unbind.Json().RootElement.GetProperty("force").GetBoolean());

            var text = Run(sim, "restore", "00:02.0");
            Assert.Equal(3, text.ExitCode);
            Assert.Contains("Refused:\n  refused: group 1 is open in userspace", text.Err);
            Assert.Equal("", text.Out);
            Assert.Equal("vfio-pci", DriverOf(sim, "00:02.0"));
        }
        var done = Run(sim, "restore", "--all", "--json");
        Assert.True(done.ExitCode == 0, done.Out + done.Err);
        var result = done.Json().RootElement;
        Assert.True(result.GetProperty("succeeded").GetBoolean());
        Assert.Equal(0, result.GetProperty("refusals").GetArrayLength());
        Assert.Null(DriverOf(sim, "00:02.0"));
    }

    [Fact]
    public void Restore_and_unbind_of_a_pf_whose_vfs_are_open_are_refused()
    {
        using var sim = new SimulatedKernelUnderTest("lab-sriov-6.12");
        Assert.Equal(0, Run(sim, "sriov", "enable", "01:00.0", "--vfs", "1", "--bind", "vfio-pci").ExitCode);
        using (sim.HoldGroupOpen(8))
        {
            var pf = Refusal(Run(sim, "restore", "01:00.0", "--json"));
            Assert.Equal("0000:01:00.0", pf.GetProperty("address").GetString());
            Assert.False(pf.GetProperty("overridable").GetBoolean());
            Assert.Equal($"VF 0000:01:00.1 is open in userspace (/dev/vfio/8 held by {Holder}): restoring 0000:01:00.0 removes its VFs, which would wait until that process closes it. Stop it first.",
                pf.GetProperty("reason").GetString());

            // Everything: the VF's own group and the PF.
            var all = Run(sim, "restore", "--all", "--json");
            Assert.Equal(3, all.ExitCode);
            Assert.Equal(["0000:01:00.1", "0000:01:00.0"], all.Json().RootElement.GetProperty("refusals").EnumerateArray().Select(r => r.GetProperty("address").GetString()));

            var unbind = Refusal(Run(sim, "unbind", "01:00.0", "--json"));
            Assert.Contains("unbinding 0000:01:00.0 from nvme may remove its VFs", unbind.GetProperty("reason").GetString());
            Assert.Equal("1", sim.Kernel.Files.ReadAttribute("/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs"));
        }
        Assert.Equal(0, Run(sim, "restore", "--all").ExitCode);
        Assert.Equal("0", sim.Kernel.Files.ReadAttribute("/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs"));
    }

    [Fact]
    public void Unbinding_a_host_essential_device_needs_force_and_says_what_it_overrode()
    {
        using var sim = new SimulatedKernelUnderTest();
        var refused = Run(sim, "unbind", "00:00.0", "--json");
        var refusal = Refusal(refused);
        Assert.True(refusal.GetProperty("overridable").GetBoolean());
        Assert.Equal("0000:00:00.0 is a host bridge.", refusal.GetProperty("reason").GetString());
        var text = Run(sim, "unbind", "00:00.0");
        Assert.Equal(3, text.ExitCode);
        Assert.Contains("refused: 0000:00:00.0 is a host bridge.", text.Err);
        Assert.Contains("--force overrides them", text.Err);
        Assert.Null(sim.Kernel.Files.ReadAttribute("/var/lib/vfioctl/journal.json"));

        var forced = Run(sim, "unbind", "00:00.0", "--force", "--json");
        Assert.True(forced.ExitCode == 0, forced.Out + forced.Err);
        var doc = forced.Json().RootElement;
        Assert.True(doc.GetProperty("succeeded").GetBoolean());
        Assert.Equal("unbound", Assert.Single(doc.GetProperty("devices").EnumerateArray()).GetProperty("message").GetString());
        Assert.True(Assert.Single(doc.GetProperty("refusals").EnumerateArray()).GetProperty("overridable").GetBoolean());
        Assert.Equal("none", sim.Kernel.Files.ReadAttribute("/sys/bus/pci/devices/0000:00:00.0/driver_override"));
        Assert.Equal(0, Run(sim, "restore", "--all").ExitCode);
        Assert.NotEqual("none", sim.Kernel.Files.ReadAttribute("/sys/bus/pci/devices/0000:00:00.0/driver_override"));
    }
}
