using System.Text.Json;
using Vfio.Userspace;

namespace Vfio.RealKernel.Tests.Diagnosis;

/// <summary>
/// <c>vfioctl doctor</c> against real kernels (docs/doctor.md): a lab guest is a healthy host; a
/// bind shows up in the journal and the device's section, a holder is named, a change behind
/// vfioctl's back is caught; the guest booted with intremap=off (scripts/lab-test's "nointremap"
/// pass) is diagnosed before the library meets the kernel's EPERM, which it then explains, and
/// allow_unsafe_interrupts is seen to waive it. (A UEFI guest's efifb BAR in doctor is checked in
/// Firmware/FirmwareFramebufferTests, before that test's bind makes vfio-pci remove efifb.)
/// </summary>
public sealed class DoctorTests
{
    private static readonly PciAddress Edu = PciAddress.Parse("0000:00:02.0");
    private const string State = "/tmp/vfioctl-doctor-state";

    private sealed record Finding(string Check, string Severity, string? Device, string Summary, string[] Details, string? Fix)
    {
        public string All => string.Join(" | ", [Summary, .. Details, Fix ?? ""]);
    }

    private static (int Code, bool Healthy, List<Finding> Findings, string Raw) Doctor(params string[] args)
    {
        var (code, output) = InstalledVfioctl.Run(["doctor", "--json", "--state-dir", State, .. args]);
        using var doc = JsonDocument.Parse(output);
        var findings = doc.RootElement.GetProperty("findings").EnumerateArray().Select(f => new Finding(
            f.GetProperty("check").GetString()!,
            f.GetProperty("severity").GetString()!,
            f.GetProperty("device").GetString(),
            f.GetProperty("summary").GetString()!,
            [.. f.GetProperty("details").EnumerateArray().Select(d => d.GetString()!)],
            f.GetProperty("fix").GetString())).ToList();
        return (code, doc.RootElement.GetProperty("healthy").GetBoolean(), findings, output);
    }

    private static Finding One(List<Finding> findings, string check, string? device = null) =>
        Assert.Single(findings, f => f.Check == check && f.Device == device);

    private static VfioBackend[] BackendsHere =>
        Userspace.Backends.KernelHasIommufd ? [VfioBackend.Container, VfioBackend.Iommufd] : [VfioBackend.Container];

    private static bool IntremapOff => File.ReadAllText("/proc/cmdline").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Contains("intremap=off");

    [Fact, Trait("topology", "basic")]
    public void A_lab_host_is_healthy_and_a_bind_is_followed_through_its_journal_its_holder_and_a_change_behind_its_back()
    {
        Guest.Require("basic");
        Assert.SkipWhen(IntremapOff, "the nointremap pass has its own test");
        Assert.SkipUnless(Directory.EnumerateFileSystemEntries("/sys/class/iommu").Any(), "needs the emulated IOMMU");
        Assert.Null(Guest.DriverOf(Edu));

        var (code, healthy, findings, raw) = Doctor();
        Assert.True(code == 0 && healthy, raw);
        Assert.Equal("ok", One(findings, "iommu").Severity);
        var ir = One(findings, "interrupt-remapping");
        Assert.Equal("ok", ir.Severity);
        Assert.Contains("IR-", ir.All); // the kernel's own remapped chips, read from /proc/interrupts
        Assert.Equal("ok", One(findings, "vfio-modules").Severity);

        // Without root: still a verdict, with what it cannot see said, and the user's own memlock limit judged.
        var (userCode, asUser) = Guest.Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", InstalledVfioctl.Require(), "doctor", "--state-dir", State);
        Assert.True(userCode == 0, asUser);
        Assert.Contains("info    privileges           Running as uid 65534, not root", asUser);
        Assert.Contains("memlock", asUser);

        // The device named: what bind would do.
        (code, _, findings, raw) = Doctor(Edu.ToString());
        Assert.True(code == 0, raw);
        var plan = One(findings, "plan", Edu.ToString());
        Assert.Equal("ok", plan.Severity);
        Assert.Contains($"`vfioctl bind {Edu}` would move 1 device(s)", plan.Summary);

        var (bindCode, bind) = InstalledVfioctl.Run("bind", Edu.ToString(), "--state-dir", State);
        Assert.True(bindCode == 0, bind);
        try
        {
            int group = int.Parse(Path.GetFileName(new FileInfo($"/sys/bus/pci/devices/{Edu}/iommu_group").LinkTarget!));
            (code, _, findings, raw) = Doctor();
            Assert.True(code == 0, raw);
            var driver = One(findings, "driver", Edu.ToString());
            Assert.Equal("ok", driver.Severity);
            Assert.Contains($"/dev/vfio/{group}", driver.Summary);
            Assert.Equal("ok", One(findings, "vfio-users", Edu.ToString()).Severity);
            var journal = One(findings, "journal");
            Assert.Equal("ok", journal.Severity);
            Assert.Contains($"{Edu}: on vfio-pci", journal.All);

            // A program holding the group: named by pid.
            using (VfioGroupHold.Open(group))
            {
                (_, _, findings, raw) = Doctor();
                var users = One(findings, "vfio-users", Edu.ToString());
                Assert.Equal("info", users.Severity);
                Assert.Contains($"pid {Environment.ProcessId}", users.Summary);
            }

            // Moved behind vfioctl's back: the journal no longer matches, and doctor says how to get back.
            Guest.ReturnToKernel(Edu);
            Assert.Null(Guest.DriverOf(Edu));
            (code, _, findings, raw) = Doctor();
            Assert.True(code == 0, raw); // a warning, not a problem
            var drift = One(findings, "journal", Edu.ToString());
            Assert.Equal("warning", drift.Severity);
            Assert.Contains("bound 0000:00:02.0 to vfio-pci, and it is on no driver now", drift.Summary);
            Assert.Contains($"vfioctl restore {Edu}", drift.Fix);
        }
        finally
        {
            var (restoreCode, restore) = InstalledVfioctl.Run("restore", "--all", "--state-dir", State);
            Assert.True(restoreCode == 0, restore);
        }
        Assert.Null(Guest.DriverOf(Edu));
    }

    [Fact, Trait("topology", "in-use")]
    public void A_named_device_the_host_uses_is_a_problem_with_the_holder_and_the_fix()
    {
        Guest.Require("in-use");
        const string nvme = "0000:01:00.0";
        var (code, output) = InstalledVfioctl.Run("doctor", nvme, "--state-dir", State);
        Assert.True(code == 3, output);
        Assert.Contains($"`vfioctl bind {nvme}` is refused", output);
        Assert.Contains("mounted at /mnt/lab-disk", output);
        Assert.Contains("1 problem(s)", output);
    }

    /// <summary>
    /// The basic topology booted with intremap=off (scripts/lab-test's "nointremap" pass): the IOMMU
    /// translates, but MSIs are not remapped, and both VFIO backends refuse with EPERM.
    /// </summary>
    [Fact, Trait("topology", "nointremap")]
    public void Without_interrupt_remapping_doctor_names_the_cause_the_library_explains_the_eperm_and_the_waiver_works()
    {
        Guest.Require("basic");
        Assert.SkipUnless(IntremapOff, "needs the guest booted with intremap=off (lab run --append intremap=off)");

        var (code, healthy, findings, raw) = Doctor();
        Assert.True(code == 3 && !healthy, raw);
        Assert.Equal("ok", One(findings, "iommu").Severity);
        var ir = One(findings, "interrupt-remapping");
        Assert.Equal("problem", ir.Severity);
        Assert.Contains("The kernel command line turns it off: intremap=off.", ir.Details);
        Assert.StartsWith("Remove intremap=off from the kernel command line", ir.Fix);
        Assert.Contains("allow_unsafe_interrupts=1", ir.Fix);

        // bind itself succeeds (it is not an IOMMU call); opening the device is what the kernel refuses.
        var (bindCode, bind) = InstalledVfioctl.Run("bind", Edu.ToString(), "--state-dir", State);
        Assert.True(bindCode == 0, bind);
        const string type1 = "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts";
        const string iommufd = "/sys/module/iommufd/parameters/allow_unsafe_interrupts";
        try
        {
            foreach (var backend in BackendsHere)
            {
                var e = Assert.Throws<VfioException>(() => VfioSession.Open(Edu, Userspace.Backends.Options(backend)));
                Assert.Equal(VfioErrorKind.UnsafeInterrupts, e.Kind);
                Assert.Equal(Errno.EPERM, e.Errno);
                Assert.Contains("interrupt remapping is not active", e.Message);
                Assert.Contains(backend == VfioBackend.Iommufd ? "iommufd.allow_unsafe_interrupts=1" : "vfio_iommu_type1.allow_unsafe_interrupts=1", e.Message);
            }

            // The waiver, set at run time: doctor downgrades to a warning, and the device opens.
            Guest.Sh("modprobe vfio_iommu_type1; modprobe iommufd 2>/dev/null; true");
            Guest.WriteSysfs(type1, "1");
            if (File.Exists(iommufd)) Guest.WriteSysfs(iommufd, "1");
            (code, _, findings, raw) = Doctor();
            Assert.True(code == 0, raw);
            Assert.Equal("warning", One(findings, "interrupt-remapping").Severity);
            foreach (var backend in BackendsHere)
            {
                using var session = VfioSession.Open(Edu, Userspace.Backends.Options(backend));
                using var bar = session.Device.MapBar(0);
                Assert.Equal(0x010000edu, bar.Read32(0x00));
            }
        }
        finally
        {
            Guest.WriteSysfs(type1, "0");
            if (File.Exists(iommufd)) Guest.WriteSysfs(iommufd, "0");
            var (restoreCode, restore) = InstalledVfioctl.Run("restore", "--all", "--state-dir", State);
            Assert.True(restoreCode == 0, restore);
        }
    }

    [Fact, Trait("topology", "noiommu")]
    public void Without_an_iommu_doctor_is_a_problem_with_the_hypervisor_fix()
    {
        Guest.Require("basic");
        Assert.SkipWhen(Directory.EnumerateFileSystemEntries("/sys/class/iommu").Any(), "needs a guest without an IOMMU (lab run --no-iommu)");
        var (code, healthy, findings, raw) = Doctor();
        Assert.True(code == 3 && !healthy, raw);
        var iommu = One(findings, "iommu");
        Assert.Equal("problem", iommu.Severity);
        Assert.Contains("intel-iommu", iommu.Fix);
        Assert.Contains("The firmware describes no IOMMU (no ACPI DMAR or IVRS table).", iommu.Details);
        Assert.DoesNotContain(findings, f => f.Check == "interrupt-remapping");
    }
}
