using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Diagnosis;
using Vfio.Tests.Support;

namespace Vfio.Tests.Policy;

/// <summary>
/// Doctor's judgement over hosts captured from real kernels, with the host facts varied where the
/// lab has one state only (the allow_unsafe_interrupts waiver, a non-root user's memlock limit, a
/// kernel without vfio-pci). The commands over the same captures are DoctorCommandTests; the
/// real-kernel proof is tests/Vfio.RealKernel.Tests/Diagnosis/DoctorTests.
/// </summary>
public sealed class DoctorPolicyTests
{
    private static (HostState Host, HostSupport Support) Read(string fixture)
    {
        using var tree = Fixtures.Open(fixture);
        var files = new HostFiles(tree.Directory);
        var host = HostReader.Read(files, new HostReadOptions { GroupUsers = true });
        return (host, HostSupportReader.Read(files, host.KernelRelease, host.CommandLine));
    }

    private static Finding Only(DoctorReport r, string check) => Assert.Single(r.Findings, f => f.Check == check && f.Device is null);

    [Fact]
    public void Without_interrupt_remapping_it_is_a_problem_and_the_waiver_makes_it_a_warning_per_backend()
    {
        var (host, support) = Read("lab-basic-nointremap-6.12");
        Assert.Equal(InterruptRemapping.Inactive, support.InterruptRemapping);
        var problem = Only(Doctor.Diagnose(new DoctorInput { Host = host, Support = support }), Checks.InterruptRemapping);
        Assert.Equal(Severity.Problem, problem.Severity);
        Assert.Contains("The kernel command line turns it off: intremap=off.", problem.Details);

        var waived = Only(Doctor.Diagnose(new DoctorInput { Host = host, Support = support with { Type1AllowUnsafeInterrupts = true } }), Checks.InterruptRemapping);
        Assert.Equal(Severity.Warning, waived.Severity);
        Assert.Contains("(iommufd still refuses the device bind)", waived.Summary);
        var both = Only(Doctor.Diagnose(new DoctorInput { Host = host, Support = support with { Type1AllowUnsafeInterrupts = true, IommufdAllowUnsafeInterrupts = true } }), Checks.InterruptRemapping);
        Assert.Contains("lets both backends run without it", both.Summary);
    }

    [Fact]
    public void With_remapping_the_ir_chips_are_the_evidence()
    {
        var (host, support) = Read("lab-basic-vfio-7.3");
        Assert.Equal(InterruptRemapping.Active, support.InterruptRemapping);
        Assert.Contains("IR-PCI-MSIX", support.InterruptChips);
        var ir = Only(Doctor.Diagnose(new DoctorInput { Host = host, Support = support }), Checks.InterruptRemapping);
        Assert.Equal(Severity.Ok, ir.Severity);
    }

    [Fact]
    public void A_user_without_root_and_a_small_memlock_limit_is_warned_root_is_not()
    {
        var (host, support) = Read("lab-basic-vfio-7.3");
        var user = Only(Doctor.Diagnose(new DoctorInput { Host = host, Support = support with { EffectiveUid = 1000, MemlockBytes = 8 << 20 } }), Checks.Memlock);
        Assert.Equal(Severity.Warning, user.Severity);
        Assert.Contains("8 MiB", user.Summary);
        Assert.Contains("LimitMEMLOCK=", user.Fix);
        var noRoot = Doctor.Diagnose(new DoctorInput { Host = host, Support = support with { EffectiveUid = 1000, MemlockBytes = 8 << 20 } });
        Assert.Contains("not root", Only(noRoot, Checks.Privileges).Summary);
        Assert.DoesNotContain(Doctor.Diagnose(new DoctorInput { Host = host, Support = support with { EffectiveUid = 0 } }).Findings, f => f.Check == Checks.Privileges);
        var unlimited = Only(Doctor.Diagnose(new DoctorInput { Host = host, Support = support with { EffectiveUid = 1000, MemlockBytes = long.MaxValue } }), Checks.Memlock);
        Assert.Equal(Severity.Ok, unlimited.Severity);
        var root = Only(Doctor.Diagnose(new DoctorInput { Host = host, Support = support with { EffectiveUid = 0, MemlockBytes = 8 << 20 } }), Checks.Memlock);
        Assert.Equal(Severity.Ok, root.Severity);
    }

    [Fact]
    public void A_kernel_without_vfio_pci_is_a_problem_and_one_with_it_as_a_module_is_fine()
    {
        var (host, support) = Read("lab-basic-vfio-7.3");
        Assert.Equal(ModuleState.Loaded, support.ModuleStateOf("vfio_pci"));
        Assert.Equal(Severity.Ok, Only(Doctor.Diagnose(new DoctorInput { Host = host, Support = support }), Checks.VfioModules).Severity);
        var missing = support with { Modules = support.Modules.SetItem("vfio_pci", ModuleState.Missing) };
        var f = Only(Doctor.Diagnose(new DoctorInput { Host = host, Support = missing }), Checks.VfioModules);
        Assert.Equal(Severity.Problem, f.Severity);
        Assert.Contains("CONFIG_VFIO_PCI", f.Fix);
    }

    [Fact]
    public void The_journal_is_checked_against_the_drivers_the_host_has_now()
    {
        var (host, support) = Read("lab-basic-vfio-7.3");
        var edu = PciAddress.Parse("0000:00:02.0");
        var nvme = PciAddress.Parse("0000:01:00.0");
        var gone = PciAddress.Parse("0000:09:00.0");
        var report = Doctor.Diagnose(new DoctorInput
        {
            Host = host,
            Support = support,
            Journal = [new JournaledDevice(edu, null, "vfio-pci"), new JournaledDevice(nvme, "nvme", "vfio-pci"), new JournaledDevice(gone, "ixgbe", "vfio-pci")],
        });
        var journal = report.Findings.Where(f => f.Check == Checks.Journal).ToList();
        Assert.Equal(Severity.Ok, Assert.Single(journal, f => f.Device is null).Severity);
        var moved = Assert.Single(journal, f => f.Device == nvme);
        Assert.Equal(Severity.Warning, moved.Severity);
        Assert.Contains("vfioctl bound 0000:01:00.0 to vfio-pci, and it is on nvme now", moved.Summary);
        Assert.Contains("its original driver nvme", moved.Fix);
        Assert.Contains("is gone now", Assert.Single(journal, f => f.Device == gone).Summary);
        Assert.True(report.Healthy); // warnings only
    }

    [Fact]
    public void Without_an_iommu_the_host_is_unhealthy_and_no_device_plan_is_made()
    {
        var (host, support) = Read("lab-basic-no-iommu-6.12");
        var edu = PciAddress.Parse("0000:00:02.0");
        var report = Doctor.Diagnose(new DoctorInput { Host = host, Support = support, Targets = [edu] });
        Assert.False(report.Healthy);
        Assert.Equal(Severity.Problem, Only(report, Checks.Iommu).Severity);
        Assert.DoesNotContain(report.Findings, f => f.Check == Checks.InterruptRemapping);
        var plan = Assert.Single(report.Findings, f => f.Check == Checks.Plan && f.Device == edu);
        Assert.Contains("the host has no IOMMU", plan.Summary);
    }

    [Theory]
    [InlineData("           CPU0       CPU1\n 24:  0  0  IR-PCI-MSIX-0000:01:00.0    0-edge      nvme0q0\n  1:  9  0  IR-IO-APIC    1-edge      i8042\n", InterruptRemapping.Active)]
    [InlineData(" 24:  0  0  PCI-MSIX-0000:01:00.0    0-edge      nvme0q0\n 25:  0  0  DMAR-MSI    0-edge      dmar0\n", InterruptRemapping.Inactive)]
    [InlineData(" 30:  0  IR-PCI-MSI 524288-edge  ahci[0000:00:1f.2]\n", InterruptRemapping.Active)]
    [InlineData(" 25:  0  0  DMAR-MSI    0-edge      dmar0\nNMI:  0  0   Non-maskable interrupts\n", InterruptRemapping.Unknown)]
    public void Interrupt_chips_decide_remapping_across_kernel_spellings(string text, InterruptRemapping expected)
    {
        Assert.Equal(expected, HostSupportReader.ParseInterrupts(new StringReader(text)).State);
    }

    [Fact]
    public void A_waiver_not_loaded_yet_is_read_from_the_command_line_and_modprobe_d_and_sysfs_wins_once_loaded()
    {
        var root = Directory.CreateTempSubdirectory("vfioctl-doctor-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "etc/modprobe.d"));
            File.WriteAllText(Path.Combine(root, "etc/modprobe.d/vfio.conf"), "# VFIO on a board without interrupt remapping\noptions vfio-iommu-type1 allow_unsafe_interrupts=1 dma_entry_limit=100000\n");
            var files = new HostFiles(root);
            var support = HostSupportReader.Read(files, null, "quiet iommufd.allow_unsafe_interrupts=Y");
            Assert.True(support.Type1AllowUnsafeInterrupts); // modprobe.d, with the module spelled with dashes
            Assert.True(support.IommufdAllowUnsafeInterrupts); // the command line
            Assert.Null(HostSupportReader.Read(files, null, "quiet").IommufdAllowUnsafeInterrupts);

            Directory.CreateDirectory(Path.Combine(root, "sys/module/vfio_iommu_type1/parameters"));
            File.WriteAllText(Path.Combine(root, "sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"), "N\n");
            Assert.False(HostSupportReader.Read(files, null, "quiet").Type1AllowUnsafeInterrupts); // loaded: what the module has now
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void The_memlock_limit_is_read_from_proc_self_limits()
    {
        Assert.Equal(8L << 20, HostSupportReader.ParseMemlock("Max cpu time              unlimited            unlimited            seconds\nMax locked memory         8388608              8388608              bytes\n"));
        Assert.Equal(long.MaxValue, HostSupportReader.ParseMemlock("Max locked memory         unlimited            unlimited            bytes\n"));
        Assert.Null(HostSupportReader.ParseMemlock("Max locked memory"));
        Assert.Null(HostSupportReader.ParseMemlock(null));
    }
}
