using System.Diagnostics;

namespace Vfio.RealKernel.Tests.Reboot;

/// <summary>
/// The Debian package and the declared state across real reboots (docs/persistence.md): boot 1
/// installs the .deb in the guest and declares; boot 2, coldplugged by Debian's systemd-udevd,
/// finds the declared devices claimed before their host drivers and converges the rest with
/// what vfioctl.service runs. One test per scenario and kernel; each boot is a fresh QEMU over the
/// same persistent guest disk.
/// </summary>
[Trait("topology", "reboot")]
public sealed class PersistRebootTests
{
    private const string Nvme = "0000:01:00.0";
    private const string Pf = "0000:01:00.0";

    /// <summary>What vfioctl.service runs, read from the installed unit (so the test runs what systemd would).</summary>
    private const string RunUnit = """
        unit_exec=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/vfioctl.service)
        echo "unit-exec=$unit_exec"
        $unit_exec > /tmp/apply.out 2> /tmp/apply.err
        echo "apply-boot-exit=$?"
        echo "apply-boot-out=$(cat /tmp/apply.out)"
        sed 's/^/apply-boot-err: /' /tmp/apply.err

        """;

    private static readonly Lazy<string> Deb = new(BuildPackage);

    /// <summary>scripts/package-deb from the native binary under test, into a directory the guest can read (the host's /tmp shows through).</summary>
    private static string BuildPackage()
    {
        var root = RepositoryRoot();
        var outDir = Directory.CreateTempSubdirectory("vfioctl-reboot-deb-").FullName;
        var psi = new ProcessStartInfo(Path.Combine(root, "scripts", "package-deb")) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        psi.ArgumentList.Add("--out");
        psi.ArgumentList.Add(outDir);
        psi.Environment["VFIOCTL_PUBLISHED"] = RebootLab.Vfioctl;
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"scripts/package-deb failed: {output}{err.Result}");
        return Assert.Single(Directory.GetFiles(outDir, "vfioctl_*_amd64.deb"));
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "vfioctl.slnx"))) return d.FullName;
        throw new InvalidOperationException("the repository root (vfioctl.slnx) is not above " + AppContext.BaseDirectory);
    }

    internal static string Install => $$"""
        dpkg -i {{Deb.Value}} > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }

        """;

    [Theory, MemberData(nameof(RebootLab.Kernels), MemberType = typeof(RebootLab))]
    public void A_persisted_nvme_is_claimed_at_the_next_boot_before_the_nvme_driver_and_a_different_device_there_is_left_alone(string kernel)
    {
        using var lab = new RebootLab(kernel);
        var first = lab.BootOk("basic", GuestShell.NvmeBlock + Install + $"""
            set -e
            blk=$(nvme_block {Nvme})
            mkfs.ext4 -q -F -L persisted "$blk"
            vfioctl persist add {Nvme}
            echo "rule=$(grep -c 'KERNEL=="{Nvme}"' /etc/udev/rules.d/40-vfioctl.rules)"
            """);
        Assert.Equal("1", first.Value("rule"));
        Assert.Contains("Boot rule: /etc/udev/rules.d/40-vfioctl.rules written", first.Output);

        var second = lab.BootOk("basic", GuestShell.NvmeBlock + GuestShell.Driver(Nvme) + $"""
            echo "override=$(cat /sys/bus/pci/devices/{Nvme}/driver_override)"
            n=0; for c in /sys/class/nvme/*; do [ -e "$c" ] && n=$((n + 1)); done
            echo "nvme-controllers=$n"
            echo "nvme-kernel-lines=$(dmesg | grep -cE ' nvme (nvme[0-9]+|{Nvme}):' || true)"
            """ + "\n" + RunUnit + $"""
            vfioctl apply > /tmp/again.out; echo "again-exit=$?"; echo "again=$(tail -1 /tmp/again.out)"
            vfioctl restore {Nvme} > /dev/null; echo "restore-exit=$?"
            """ + "\n" + GuestShell.Driver(Nvme).Replace("driver:", "restored:") + """
            blk=$(nvme_block 0000:01:00.0)
            echo "label=$(blkid -o value -s LABEL "$blk")"
            """, udev: true);

        Assert.Equal("vfio-pci", second.Value($"driver:{Nvme}"));
        Assert.Equal("vfio-pci", second.Value("override"));
        // The nvme driver never had it: no controller, not a line in the kernel log.
        Assert.Equal("0", second.Value("nvme-controllers"));
        Assert.Equal("0", second.Value("nvme-kernel-lines"));
        Assert.Equal("/usr/bin/vfioctl apply --boot", second.Value("unit-exec"));
        Assert.Equal("0", second.Value("apply-boot-exit"));
        Assert.Equal("vfioctl apply: nothing to change, all 1 declared entries in place (/etc/vfioctl/assignments.yaml).", second.Value("apply-boot-out"));
        Assert.Equal("0", second.Value("again-exit"));
        Assert.Equal("vfioctl apply: nothing to change, all 1 declared entries in place (/etc/vfioctl/assignments.yaml).", second.Value("again"));
        // Claimed at boot, journaled by apply: restore gives it to nvme with its file system intact.
        Assert.Equal("0", second.Value("restore-exit"));
        Assert.Equal("nvme", second.Value($"restored:{Nvme}"));
        Assert.Equal("persisted", second.Value("label"));

        // Boot 3: the NVMe in another slot, an e1000e at its old address.
        var third = lab.Boot("moved", GuestShell.Driver(Nvme) + GuestShell.Driver("0000:02:00.0") + RunUnit, udev: true);
        Assert.Equal("3", third.Value("apply-boot-exit"));
        Assert.Contains($"apply-boot-err: {Nvme}  device    not the declared device: the device at {Nvme} is not the one declared at line 7 (declared 1b36:0010, found 8086:10d3): not touched.", third.Output);
        Assert.Equal("e1000e", third.Value($"driver:{Nvme}"));
        Assert.Equal("nvme", third.Value("driver:0000:02:00.0"));
    }

    [Theory, MemberData(nameof(RebootLab.Kernels), MemberType = typeof(RebootLab))]
    public void Persisted_vfs_of_a_userspace_pf_come_back_on_vfio_pci_and_open_with_the_stored_token_only(string kernel)
    {
        using var lab = new RebootLab(kernel);
        lab.BootOk("sriov", Install + $"""
            set -e
            vfioctl sriov enable {Pf} --vfs 2 --pf-driver vfio-pci --persist > /tmp/enable.out
            vfioctl sriov token {Pf} --generate > /dev/null
            grep -q 'pf: "{Pf}"' /etc/vfioctl/assignments.yaml
            """, timeoutSeconds: 600);

        var tests = Path.Combine(AppContext.BaseDirectory, "Vfio.RealKernel.Tests.dll");
        var second = lab.BootOk("sriov", GuestShell.Driver(Pf) + RunUnit + GuestShell.Driver("0000:01:00.1") + GuestShell.Driver("0000:01:00.2") + $"""
            echo "numvfs=$(cat /sys/bus/pci/devices/{Pf}/sriov_numvfs)"
            dotnet {tests} -trait guest=after-reboot -noColor > /tmp/check.out 2>&1; echo "check-exit=$?"
            grep -E 'Total:|FAIL|Assert' /tmp/check.out | sed 's/^/check: /'
            vfioctl apply > /tmp/again.out; echo "again-exit=$?"; echo "again=$(tail -1 /tmp/again.out)"
            """, udev: true, timeoutSeconds: 900);

        // The rule claimed the PF at coldplug; apply --boot made the VFs and set the stored token.
        Assert.Equal("vfio-pci", second.Value($"driver:{Pf}"));
        Assert.Equal("0", second.Value("apply-boot-exit"));
        Assert.Contains("2 changed", second.Value("apply-boot-out"));
        Assert.Equal("2", second.Value("numvfs"));
        Assert.Equal("vfio-pci", second.Value("driver:0000:01:00.1"));
        Assert.Equal("vfio-pci", second.Value("driver:0000:01:00.2"));
        Assert.True(second.Value("check-exit") == "0", second.ToString());
        Assert.Equal("0", second.Value("again-exit"));
        Assert.Contains("nothing to change", second.Value("again"));
    }

    [Theory, MemberData(nameof(RebootLab.Kernels), MemberType = typeof(RebootLab))]
    public void Driverctl_s_persisted_override_lets_the_nvme_driver_take_the_device_first(string kernel)
    {
        // The same persisted NVMe with driverctl, for docs/persistence.md's side-by-side: its udev rule
        // (05-driverctl.rules) only tags the device for systemd to start driverctl@pci-ADDR.service,
        // whose ExecStart is 'driverctl load-override ADDR'; the guest has no systemd, so the test
        // runs that after coldplug, as systemd would.
        Assert.SkipUnless(File.Exists("/usr/sbin/driverctl"), "driverctl is not installed on this machine (the guest runs the host's programs)");
        using var lab = new RebootLab(kernel);
        lab.BootOk("basic", $"""
            set -e
            driverctl --noprobe set-override {Nvme} vfio-pci
            ls /etc/driverctl.d
            """);
        var second = lab.BootOk("basic", $"""
            echo "nvme-kernel-lines=$(dmesg | grep -cE ' nvme (nvme[0-9]+|{Nvme}):' || true)"
            /usr/sbin/driverctl load-override {Nvme}
            """ + "\n" + GuestShell.Driver(Nvme), udev: true);

        // nvme probed it at coldplug, before anything of driverctl's ran; load-override moved it after.
        Assert.True(second.Value("nvme-kernel-lines") is { } lines && lines != "0", second.ToString());
        Assert.Equal("vfio-pci", second.Value($"driver:{Nvme}"));
    }
}
