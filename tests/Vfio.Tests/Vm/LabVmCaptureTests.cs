using Vfio.Tests.Support;

namespace Vfio.Tests.Vm;

/// <summary>
/// Captures of lab guests on 6.12 (scripts/capture-fixtures): the vm topology's ivshmem-plain with
/// a 64 GiB BAR 2, and the basic topology booted without an IOMMU (lab run --no-iommu).
/// </summary>
public sealed class LabVmCaptureTests
{
    private static string Vm => Fixtures.Archive("lab-vm-6.12");

    [Fact]
    public void Plan_sums_the_64_bit_bars_of_what_goes_to_userspace_and_points_to_vm_args()
    {
        var r = CliRun.Run("--root", Vm, "plan", "0000:01:00.0");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("  64-bit BARs for userspace: 64 GiB (0000:01:00.0 64 GiB)\n", r.Out);
        Assert.Contains("  note: 64-bit BARs of 64 GiB: more than QEMU q35's default 64-bit MMIO window (32 GiB) holds; a VM receiving it needs a larger window and enough physical address bits: 'vfioctl vm-args 0000:01:00.0'.", r.Out);

        var json = CliRun.Run("--root", Vm, "--json", "plan", "0000:01:00.0").Json().RootElement;
        var group = Assert.Single(json.GetProperty("bars").EnumerateArray());
        Assert.Equal(64UL << 30, group.GetProperty("bar64Total").GetUInt64());
        Assert.Equal("0000:01:00.0", group.GetProperty("devices")[0].GetProperty("address").GetString());
        Assert.Contains("vfioctl vm-args 0000:01:00.0", group.GetProperty("largeBars").GetString());
    }

    [Fact]
    public void A_plan_for_small_devices_has_no_large_bar_line_and_a_fenced_member_counts_for_nothing()
    {
        // The basic topology's bridge group: the edu goes to vfio-pci, the e1000 is fenced with pci-stub.
        var r = CliRun.Run("--root", Fixtures.Archive("lab-basic-6.12"), "plan", "0000:03:02.0", "--fence", "0000:03:01.0");
        Assert.DoesNotContain("note: 64-bit BARs", r.Out);
        var json = CliRun.Run("--root", Fixtures.Archive("lab-basic-6.12"), "--json", "plan", "0000:03:02.0", "--fence", "0000:03:01.0").Json().RootElement;
        var group = Assert.Single(json.GetProperty("bars").EnumerateArray());
        Assert.Equal(["0000:03:02.0"], group.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("address").GetString()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, group.GetProperty("largeBars").ValueKind);
    }

    [Fact]
    public void Vm_args_refuses_the_large_bar_device_while_it_has_no_vfio_driver()
    {
        var r = CliRun.Run("--root", Vm, "vm-args", "0000:01:00.0");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("0000:01:00.0 is without a driver, not on a vfio driver: 'vfioctl bind 0000:01:00.0' first.", r.Err);
    }

    [Fact]
    public void A_lab_guest_without_an_iommu_is_diagnosed_as_a_virtual_machine_on_replay()
    {
        var root = Fixtures.Archive("lab-basic-no-iommu-6.12");
        var r = CliRun.Run("--root", root, "groups");
        Assert.Contains("This is a virtual machine (the CPU reports the hypervisor flag; QEMU (Standard PC (Q35 + ICH9, 2009)))", r.Out + r.Err);
        Assert.DoesNotContain("firmware setup", r.Out + r.Err);
        var iommu = CliRun.Run("--root", root, "--json", "groups").Json().RootElement.GetProperty("iommu");
        Assert.Equal("virtual-machine", iommu.GetProperty("machine").GetString());

        // list says it in one line, and its JSON carries the same iommu object.
        var list = CliRun.Run("--root", root, "list");
        Assert.Contains("No IOMMU groups: the kernel has no active IOMMU, so no device can be given to userspace safely. This is a virtual machine", list.Err);
        Assert.Equal("virtual-machine", CliRun.Run("--root", root, "--json", "list").Json().RootElement.GetProperty("iommu").GetProperty("machine").GetString());
    }
}
