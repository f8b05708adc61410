using System.Text;
using Vfio.Execution.State;
using Vfio.Tests.Support;

namespace Vfio.Tests.Cli;

/// <summary>
/// <c>vfioctl doctor</c> over captures of real kernels: exit codes, the text sections and the
/// documented JSON (docs/json-schema.md), a named device judged by the plan bind would make, and
/// vfioctl's journal and declared state checked against the host.
/// </summary>
public sealed class DoctorCommandTests
{
    /// <summary>Puts <paramref name="journal"/> in the default state directory under the unpacked capture.</summary>
    private static void WriteJournal(Vfio.Host.Snapshot.SnapshotArchive tree, byte[] journal)
    {
        var state = Path.Combine(tree.Directory, "var/lib/vfioctl");
        Directory.CreateDirectory(state);
        File.WriteAllBytes(Path.Combine(state, Journal.FileName), journal);
    }

    [Fact]
    public void A_healthy_capture_exits_0_and_lists_the_assigned_device_with_its_nodes()
    {
        var r = CliRun.Run("--root", Fixtures.Archive("lab-basic-vfio-7.3"), "doctor");
        Assert.True(r.ExitCode == 0, r.Out + r.Err);
        Assert.Contains("ok      iommu", r.Out);
        Assert.Contains("ok      interrupt-remapping  Interrupt remapping is active", r.Out);
        Assert.Contains("0000:00:02.0", r.Out);
        Assert.Contains("/dev/vfio/devices/vfio0", r.Out);
        Assert.Contains("16 reserved", r.Out);
        Assert.Contains("No problems", r.Out);
    }

    [Fact]
    public void Json_has_the_documented_fields_and_problems_exit_3()
    {
        var r = CliRun.Run("--root", Fixtures.Archive("lab-basic-nointremap-6.12"), "--json", "doctor");
        Assert.Equal(3, r.ExitCode);
        var root = r.Json().RootElement;
        Assert.False(root.GetProperty("healthy").GetBoolean());
        Assert.Equal(1, root.GetProperty("problems").GetInt32());
        Assert.StartsWith("6.12", root.GetProperty("kernel").GetString());
        var ir = Assert.Single(root.GetProperty("findings").EnumerateArray(), f => f.GetProperty("check").GetString() == "interrupt-remapping");
        Assert.Equal("problem", ir.GetProperty("severity").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, ir.GetProperty("device").ValueKind);
        Assert.Contains("EPERM", ir.GetProperty("summary").GetString());
        Assert.NotEmpty(ir.GetProperty("details").EnumerateArray());
        Assert.StartsWith("Remove intremap=off", ir.GetProperty("fix").GetString());
    }

    [Fact]
    public void A_named_device_in_host_use_is_refused_by_its_plan_with_the_holder()
    {
        var r = CliRun.Run("--root", Fixtures.Archive("lab-in-use-6.12"), "doctor", "01:00.0");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("`vfioctl bind 0000:01:00.0` is refused", r.Out);
        Assert.Contains("mounted at /mnt/lab-disk", r.Out);
    }

    [Fact]
    public void A_named_idle_device_gets_what_bind_would_do_and_a_missing_one_is_an_error()
    {
        var r = CliRun.Run("--root", Fixtures.Archive("lab-basic-6.12"), "doctor", "00:02.0");
        Assert.True(r.ExitCode == 0, r.Out + r.Err);
        Assert.Contains("`vfioctl bind 0000:00:02.0` would move 1 device(s)", r.Out);
        var missing = CliRun.Run("--root", Fixtures.Archive("lab-basic-6.12"), "doctor", "00:09.0");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("0000:00:09.0", missing.Err);
        Assert.Equal(2, CliRun.Run("--root", Fixtures.Archive("lab-basic-6.12"), "doctor", "nonsense").ExitCode);
    }

    [Fact]
    public void The_uefi_capture_reports_efifb_in_the_boot_vga_bar_with_the_fix()
    {
        var r = CliRun.Run("--root", Fixtures.Archive(UefiFramebuffer.Fixture), "doctor");
        Assert.Contains("bar-conflict         BAR 0 [mem 0xc0000000-0xc0ffffff] is reserved by efifb", r.Out);
        Assert.Contains("fix: boot with video=efifb:off", r.Out);
    }

    [Fact]
    public void Journal_and_declared_state_that_the_host_no_longer_matches_are_warnings_with_the_command_that_converges()
    {
        using var tree = Fixtures.Open("lab-basic-6.12");
        WriteJournal(tree, JournalFile.Format([new JournalEntry { Address = "0000:01:00.0", OriginalDriver = "nvme", OriginalModule = "nvme", BoundTo = "vfio-pci", Group = 8 }]));
        Directory.CreateDirectory(Path.Combine(tree.Directory, "etc/vfioctl"));
        // Encoding.UTF8 writes a byte order mark, as some editors do: the declared state accepts it.
        File.WriteAllText(Path.Combine(tree.Directory, "etc/vfioctl/assignments.yaml"), "devices:\n  - address: \"0000:00:02.0\"\n    driver: auto\nversion: 1\n", Encoding.UTF8);

        var r = CliRun.Run("--root", tree.Directory, "doctor");
        Assert.True(r.ExitCode == 0, r.Out + r.Err);
        Assert.Contains("journal              0000:01:00.0: vfioctl bound 0000:01:00.0 to vfio-pci, and it is on nvme now", r.Out);
        Assert.Contains("declared-state       0000:00:02.0: Not as /etc/vfioctl/assignments.yaml line", r.Out);
        Assert.Contains("`vfioctl apply` converges the host", r.Out);
    }

    [Fact]
    public void A_damaged_journal_is_a_warning_that_quotes_the_damage_not_a_crash()
    {
        using var tree = Fixtures.Open("lab-basic-6.12");
        WriteJournal(tree, Encoding.UTF8.GetBytes("{\"version\": 1, \"devices\": ["));
        var r = CliRun.Run("--root", tree.Directory, "doctor");
        Assert.True(r.ExitCode == 0, r.Out + r.Err);
        Assert.Contains("WARN    journal              vfioctl's state is damaged or unsafe: The journal", r.Out);
    }
}
