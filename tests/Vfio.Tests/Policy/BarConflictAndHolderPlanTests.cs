using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Assignment;
using Vfio.Policy.Drivers;
using Vfio.Tests.Support;

namespace Vfio.Tests.Policy;

/// <summary>
/// Plans that meet a BAR the firmware framebuffer holds (kernel-facts section 10) and devices on
/// vfio-pci that a process holds: refused with what to do, the first overridable, the second not.
/// </summary>
public class BarConflictAndHolderPlanTests
{
    private static readonly PciAddress Display = PciAddress.Parse(UefiFramebuffer.Display);

    private static AssignmentPlan Plan(HostState host, HostFiles files, AssignmentRequest request) =>
        AssignmentPlanner.Plan(host, ModuleAliases.Parse(files.ReadAllText($"/lib/modules/{host.KernelRelease}/modules.alias") ?? ""), request);

    private static AssignmentRequest Req(string target) => new() { Targets = [PciAddress.Parse(target)] };

    [Fact]
    public void Binding_a_non_vga_display_to_vfio_pci_is_refused_naming_the_bar_range_owner_and_fix_and_force_keeps_it()
    {
        using var tree = UefiFramebuffer.OpenWithBootFbOnDisplay();
        var files = new HostFiles(tree.Directory);
        var host = HostReader.Read(files, new HostReadOptions { Details = false });

        var plan = Plan(host, files, Req(UefiFramebuffer.Display));
        Assert.False(plan.CanApply);
        var r = Assert.Single(plan.Refusals);
        Assert.True(r.Overridable);
        Assert.Equal(Display, r.Address);
        Assert.Contains("BAR 0 [mem 0xc1000000-0xc1ffffff]", r.Reason);
        Assert.Contains("reserved by BOOTFB (claimed by simpledrm)", r.Reason);
        Assert.Contains("can't reserve", r.Reason);
        Assert.Contains("Fix: boot with initcall_blacklist=sysfb_init", r.Reason);
        var c = Assert.Single(plan.BarConflicts);
        Assert.Equal((Display, 0, true), (c.Address, c.Conflict.BarIndex, c.Refused));

        var forced = Plan(host, files, Req(UefiFramebuffer.Display) with { Force = true });
        Assert.True(forced.CanApply);
        Assert.Contains(forced.Refusals, x => x.Reason.Contains("BOOTFB"));
        Assert.Single(forced.BarConflicts);
    }

    [Fact]
    public void On_the_vga_class_boot_vga_the_conflict_is_a_note_because_vfio_pci_removes_efifb_when_it_binds()
    {
        // Seen in the lab (6.12, OVMF): binding the VGA to vfio-pci took efifb and its entry away.
        using var tree = UefiFramebuffer.Open();
        var files = new HostFiles(tree.Directory);
        var host = HostReader.Read(files, new HostReadOptions { Details = false });
        var plan = Plan(host, files, Req(UefiFramebuffer.Vga));
        Assert.DoesNotContain(plan.Refusals, r => r.Reason.Contains("efifb"));
        Assert.Contains(plan.Refusals, r => r.Reason.Contains("boot VGA")); // still refused for what it is
        var c = Assert.Single(plan.BarConflicts);
        Assert.False(c.Refused);
        var note = Assert.Single(plan.Notes, n => n.Contains("efifb"));
        Assert.Contains("BAR 0 [mem 0xc0000000-0xc0ffffff]", note);
        Assert.Contains("removes the firmware framebuffer from a VGA-class function", note);
        Assert.Contains("video=efifb:off", note);
    }

    [Fact]
    public void Fencing_a_display_with_pci_stub_is_not_a_bar_conflict()
    {
        // pci-stub reserves no BAR: the framebuffer is in nobody's way there.
        using var tree = UefiFramebuffer.OpenWithBootFbOnDisplay();
        var files = new HostFiles(tree.Directory);
        var host = HostReader.Read(files);
        var plan = Plan(host, files, Req(UefiFramebuffer.Display) with { Driver = DriverRequest.Parse("pci-stub")! });
        Assert.True(plan.CanApply);
        Assert.Empty(plan.BarConflicts);
    }

    [Fact]
    public void Moving_a_device_on_vfio_pci_that_a_process_holds_through_its_cdev_is_refused_naming_pid_and_command()
    {
        // lab-basic-vfio-6.12: the edu 00:02.0 is on vfio-pci, alone in group 1. A VMM holds it
        // through its VFIO device (the iommufd cdev), not the group node.
        using var tree = Fixtures.Open("lab-basic-vfio-6.12");
        var files = new HostFiles(tree.Directory);
        var edu = PciAddress.Parse("00:02.0");
        var host = HostReader.Read(files) with { VfioDeviceFds = [new VfioDeviceFd(new ProcessRef(4242, "qemu-system-x86"), edu)] };

        var plan = Plan(host, files, Req("00:02.0") with { Driver = DriverRequest.Parse("pci-stub")!, Force = true });
        Assert.False(plan.CanApply); // --force does not override it
        var r = Assert.Single(plan.Refusals);
        Assert.False(r.Overridable);
        Assert.Contains("pid 4242 (qemu-system-x86)", r.Reason);
        Assert.Contains("stop the VMM/program (pid 4242) first", r.Reason);

        // Another device's fd, or one the kernel does not name, is not this device's holder.
        var other = host with { VfioDeviceFds = [new VfioDeviceFd(new ProcessRef(7, "x"), PciAddress.Parse("03:02.0")), new VfioDeviceFd(new ProcessRef(8, "y"), null)] };
        Assert.True(Plan(other, files, Req("00:02.0") with { Driver = DriverRequest.Parse("pci-stub")! }).CanApply);
    }

    [Fact]
    public void A_group_with_a_member_on_vfio_pci_held_open_names_the_holder_and_says_to_stop_it()
    {
        // Group 4: the edu 03:02.0 on vfio-pci, the e1000 fenced; QEMU holds /dev/vfio/4.
        using var tree = Fixtures.Open("lab-basic-vfio-6.12");
        var files = new HostFiles(tree.Directory);
        var host = HostReader.Read(files) with
        {
            GroupUsers = ImmutableDictionary<int, ImmutableArray<ProcessRef>>.Empty.Add(4, [new ProcessRef(5150, "qemu-system-x86")]),
        };
        var plan = Plan(host, files, Req("03:02.0") with { Driver = DriverRequest.Parse("pci-stub")! });
        var r = Assert.Single(plan.Refusals, r => r.Reason.Contains("open in userspace"));
        Assert.False(r.Overridable);
        Assert.Contains("pid 5150 (qemu-system-x86)", r.Reason);
        Assert.Contains("stop the VMM/program (pid 5150) first", r.Reason);
    }
}
