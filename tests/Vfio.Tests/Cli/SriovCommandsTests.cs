using System.Text.Json;
using Vfio.Execution.State;
using Vfio.Tests.Simulation;
using Vfio.Tests.Support;
using Vfio.Execution.Sriov;

namespace Vfio.Tests.Cli;

/// <summary>
/// The sriov commands end to end: read-only ones over captured trees, writing ones against the
/// simulated kernel (standing in for sysfs under --root), with their exit codes and JSON.
/// </summary>
public sealed class SriovCommandsTests : IDisposable
{
    private readonly SimulatedKernelUnderTest _sim = new("lab-sriov-6.12");

    /// <summary>What sets VF tokens for the commands: none until a test connects the simulated one.</summary>
    private IVfTokenApplier? _applier;

    public void Dispose() => _sim.Dispose();

    private string Root => _sim.Kernel.Files.Root;

    /// <summary>vfioctl with --root at the simulated tree, writing through the simulated kernel.</summary>
    private CliResult Run(params string[] args) =>
        CliRun.Run(new Vfioctl.CliServices { Kernel = _ => _sim.Kernel, TokenApplier = _ => _applier }, ["--root", Root, .. args]);

    [Fact]
    public void List_shows_each_pf_with_its_vfs_drivers_and_groups()
    {
        var r = CliRun.Run("--root", Fixtures.Archive("lab-sriov-vfio-pf-6.12"), "sriov", "list", "--json");
        Assert.Equal(0, r.ExitCode);
        var pfs = r.Json().RootElement.GetProperty("pfs");
        Assert.Equal(2, pfs.GetArrayLength());
        var pf = pfs[0];
        Assert.Equal("0000:01:00.0", pf.GetProperty("address").GetString());
        Assert.Equal("vfio-pci", pf.GetProperty("driver").GetString());
        Assert.Equal((64, 2), (pf.GetProperty("totalVfs").GetInt32(), pf.GetProperty("numVfs").GetInt32()));
        Assert.True(pf.GetProperty("autoprobe").GetBoolean());
        var vfs = pf.GetProperty("vfs").EnumerateArray().ToList();
        Assert.Equal(["0000:01:00.1", "0000:01:00.2"], vfs.Select(v => v.GetProperty("address").GetString()));
        Assert.All(vfs, v => Assert.Equal("vfio-pci", v.GetProperty("driver").GetString()));
        Assert.Equal([8, 9], vfs.Select(v => v.GetProperty("iommuGroup").GetInt32()));
        Assert.Equal("/dev/vfio/8", vfs[0].GetProperty("vfioNode").GetString());

        var text = CliRun.Run("--root", Fixtures.Archive("lab-sriov-vfio-pf-6.12"), "sriov", "list");
        Assert.Contains("driver vfio-pci, VFs 2 of 64 (offset 1, stride 1, VF id 0010), autoprobe on", text.Out);
        Assert.Contains("0000:01:00.2  vfio-pci   group 9\n", text.Out);
    }

    [Fact]
    public void Bad_input_is_a_usage_error_and_impossible_requests_are_refused_with_the_reason()
    {
        var archive = Fixtures.Archive("lab-sriov-6.12");
        Assert.Equal(2, CliRun.Run("--root", archive, "sriov", "enable", "01:00.0", "--vfs", "0", "--dry-run").ExitCode);
        Assert.Equal(2, CliRun.Run("--root", archive, "sriov", "enable", "01:00.0", "--dry-run").ExitCode);
        Assert.Equal(2, CliRun.Run("--root", archive, "sriov", "enable", "01:00.0", "--vfs", "2", "--bind", "igb", "--dry-run").ExitCode);
        Assert.Equal(2, CliRun.Run("--root", archive, "sriov", "enable", "01:00.0", "--vfs", "2", "--pf-driver", "nvme", "--dry-run").ExitCode);
        Assert.Equal(2, CliRun.Run("--root", archive, "sriov", "enable", "1:0.0", "--vfs", "2", "--dry-run").ExitCode);
        Assert.Equal(2, CliRun.Run("--root", archive, "sriov", "enable", "01:00.0", "--vfs", "2").ExitCode); // a snapshot is read-only

        var tooMany = CliRun.Run("--root", archive, "sriov", "enable", "01:00.0", "--vfs", "65", "--dry-run");
        Assert.Equal(3, tooMany.ExitCode);
        Assert.Contains("at most 64 VFs (sriov_totalvfs); 65 asked (the kernel would answer ERANGE)", tooMany.Out);
        var port = CliRun.Run("--root", archive, "sriov", "disable", "00:03.0", "--dry-run", "--json");
        Assert.Equal(3, port.ExitCode);
        Assert.Contains("not an SR-IOV PF", port.Json().RootElement.GetProperty("plan").GetProperty("refusals")[0].GetProperty("reason").GetString());
        Assert.Equal(1, CliRun.Run("--root", archive, "sriov", "disable", "05:00.0", "--dry-run").ExitCode); // no such device
    }

    [Fact]
    public void Enable_and_restore_through_the_commands_leave_the_pf_as_it_was()
    {
        var r = Run("sriov", "enable", "01:00.0", "--vfs", "2", "--bind", "vfio-pci", "--json");
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        var doc = r.Json().RootElement;
        Assert.Equal(["set-autoprobe", "create-vfs", "bind-vfs", "reset-autoprobe"],
            doc.GetProperty("plan").GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("action").GetString()));
        var result = doc.GetProperty("result");
        Assert.True(result.GetProperty("succeeded").GetBoolean());
        Assert.Equal(2, result.GetProperty("vfsAfter").GetInt32());
        Assert.All(result.GetProperty("vfs").EnumerateArray(), v => Assert.Equal("vfio-pci", v.GetProperty("driver").GetString()));

        var change = Run("sriov", "enable", "01:00.0", "--vfs", "3");
        Assert.Equal(0, change.ExitCode);
        Assert.Contains("2 → 0 → 3", change.Out);
        Assert.Contains("Undo with: vfioctl restore 0000:01:00.0", change.Out);

        var restore = Run("restore", "--all", "--json");
        Assert.True(restore.ExitCode == 0, restore.Err + restore.Out);
        var list = Run("sriov", "list", "--json").Json().RootElement.GetProperty("pfs")[0];
        Assert.Equal(("nvme", 0), (list.GetProperty("driver").GetString(), list.GetProperty("numVfs").GetInt32()));
    }

    [Fact]
    public void Disable_with_a_vf_held_open_is_refused_naming_the_holder()
    {
        Assert.Equal(0, Run("sriov", "enable", "01:00.0", "--vfs", "1", "--bind", "vfio-pci").ExitCode);
        using (_sim.HoldGroupOpen(8))
        {
            var r = Run("sriov", "disable", "01:00.0");
            Assert.Equal(3, r.ExitCode);
            Assert.Contains($"/dev/vfio/8 held by pid {SimulatedKernel.FirstHolderPid} ({SimulatedKernel.HolderComm})", r.Out);
            var restore = Run("restore", "--all");
            Assert.Equal(3, restore.ExitCode);
            Assert.Contains("is open in userspace", restore.Err);
        }
        Assert.Equal(0, Run("sriov", "disable", "01:00.0").ExitCode);
        Assert.Equal(0, Run("restore", "--all").ExitCode);
    }

    [Fact]
    public void A_token_is_stored_owner_only_and_printed_only_when_asked()
    {
        var generated = Run("sriov", "token", "01:00.0", "--generate", "--json");
        Assert.True(generated.ExitCode == 0, generated.Err);
        var doc = generated.Json().RootElement;
        Assert.True(doc.GetProperty("stored").GetBoolean());
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("applied").ValueKind); // the PF is on nvme: nothing to set yet
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("token").ValueKind);
        var path = _sim.Kernel.Files.Map("/var/lib/vfioctl/" + VfTokenStore.FileName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var stored = VfTokenStore.Load(Path.GetDirectoryName(path)!).Find(PciAddress.Parse("01:00.0"))!.Token;
        Assert.DoesNotContain(stored.Reveal(), generated.Out + generated.Err);

        var shown = Run("sriov", "token", "01:00.0", "--show-token");
        Assert.Equal(0, shown.ExitCode);
        Assert.Contains(stored.Reveal(), shown.Out);
        Assert.DoesNotContain(stored.Reveal(), Run("sriov", "token", "01:00.0").Out);
        Assert.DoesNotContain(stored.Reveal(), Run("sriov", "list").Out);

        var bad = Run("sriov", "token", "01:00.0", "--set", "1a2b3c4d-2222-3333-4444-5555555555");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("not a VF token; expected a UUID of 36 characters", bad.Err);
        Assert.DoesNotContain("1a2b3c4d", bad.Err);
        Assert.Equal(2, Run("sriov", "token", "01:00.0", "--generate", "--clear").ExitCode);
        var port = Run("sriov", "token", "00:03.0", "--generate");
        Assert.Equal(1, port.ExitCode);
        Assert.Contains("neither an SR-IOV PF nor a VF", port.Err);
        Assert.Equal(0, Run("sriov", "token", "01:00.0", "--clear").ExitCode);
        Assert.Null(VfTokenStore.Load(Path.GetDirectoryName(path)!).Find(PciAddress.Parse("01:00.0")));
    }

    [Fact]
    public void On_a_vfio_pci_pf_the_token_goes_into_the_kernel_through_the_applier()
    {
        Assert.Equal(0, Run("sriov", "enable", "01:00.0", "--vfs", "1", "--pf-driver", "vfio-pci").ExitCode);
        var vf = Run("sriov", "token", "01:00.1", "--generate");
        Assert.Equal(1, vf.ExitCode);
        Assert.Contains("is a VF (of 0000:01:00.0)", vf.Err);

        // No applier connected: stored, but the kernel does not have it, and the command says so.
        var unapplied = Run("sriov", "token", "01:00.0", "--set", "1a2b3c4d-2222-3333-4444-5555555555ee", "--json");
        Assert.Equal(1, unapplied.ExitCode);
        Assert.False(unapplied.Json().RootElement.GetProperty("applied").GetBoolean());
        Assert.Contains("no VFIO token applier connected", unapplied.Json().RootElement.GetProperty("message").GetString());

        _applier = new SimulatedVfTokenApplier(_sim.Simulated);
        var applied = Run("sriov", "token", "01:00.0", "--set", "1a2b3c4d-2222-3333-4444-5555555555ee", "--json");
        Assert.True(applied.ExitCode == 0, applied.Out + applied.Err);
        Assert.True(applied.Json().RootElement.GetProperty("applied").GetBoolean());
        _sim.HoldGroupOpen(8, "vf_token=1a2b3c4d-2222-3333-4444-5555555555ee").Dispose();
        Assert.Equal(0, Run("restore", "--all").ExitCode);
    }
}
