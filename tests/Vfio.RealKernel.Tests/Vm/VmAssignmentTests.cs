using System.Text.Json;
using Vfio.RealKernel.Tests.Reboot;

namespace Vfio.RealKernel.Tests.Vm;

/// <summary>
/// Devices into VMs on a real kernel (docs/vm.md), run from the host like the reboot tests (each
/// boots its own guest): the vm topology's ivshmem-plain with a 64 GiB BAR is shown, refused by
/// vm-args while it has no vfio driver, bound, and handed to a QEMU nested in the guest with
/// exactly the arguments vm-args printed, whose firmware must place the BAR; and a guest without
/// an IOMMU gets the diagnosis for a virtual machine. On 6.12 only: nothing here differs between
/// the kernel series, and the nested firmware alone takes minutes under emulation.
/// </summary>
[Trait("topology", "host")]
public sealed class VmAssignmentTests
{
    private const string Device = "0000:01:00.0";

    /// <summary>
    /// Starts QEMU in the guest with the machine, RAM and console options plus the arguments of
    /// /tmp/vmargs.txt (vm-args' lines, comments dropped, continuations joined), asks its monitor
    /// for <c>info pci</c> every few seconds until the firmware has placed a 64-bit BAR 2 (an
    /// unplaced one reads 0xffffffffffffffff) or 600 s passed, and prints what it saw.
    /// </summary>
    private const string NestedQemu = """
        args=$(grep -v '^#' /tmp/vmargs.txt | tr -d '\\\n')
        echo "nested-args=$args"
        mkfifo /tmp/monitor.in
        start=$(date +%s)
        # shellcheck disable=SC2086
        qemu-system-x86_64 -machine q35 -accel tcg -m 256M -nodefaults -display none -serial none -monitor stdio $args \
            < /tmp/monitor.in > /tmp/monitor.out 2> /tmp/qemu.err &
        qemu=$!
        exec 3> /tmp/monitor.in
        placed=no
        while [ $(( $(date +%s) - start )) -lt 600 ]; do
            sleep 5
            kill -0 "$qemu" 2> /dev/null || break
            echo "info pci" >&3
            sleep 1
            if grep -q 'BAR2: 64 bit prefetchable memory at 0x[0-9a-e][0-9a-f]* \[' /tmp/monitor.out; then placed=yes; break; fi
        done
        echo "nested-seconds=$(( $(date +%s) - start ))"
        echo "nested-placed=$placed"
        echo "nested-bar2=$(grep -m1 -o 'BAR2: 64 bit prefetchable memory at 0x[0-9a-e][0-9a-f]* \[0x[0-9a-f]*\]' /tmp/monitor.out)"
        echo "nested-vfio=$(grep -c 'Inter-VM shared memory\|Device 1af4:1110\|RAM controller' /tmp/monitor.out)"
        echo quit >&3
        exec 3>&-
        wait "$qemu"; echo "nested-exit=$?"
        sed 's/^/qemu-err: /' /tmp/qemu.err
        """;

    [Theory, MemberData(nameof(RebootLab.Kernels), MemberType = typeof(RebootLab))]
    public void A_64_GiB_bar_is_shown_refused_until_bound_and_placed_by_a_nested_vm_started_with_exactly_vm_args(string kernel)
    {
        RebootLab.RequireCurrentKernel(kernel);
        using var lab = new RebootLab(kernel);
        var r = lab.BootOk("vm", GuestShell.Vfioctl + $"""
            vfioctl show {Device} | sed 's/^/show: /'
            vfioctl show {Device} --json > /tmp/show.json; echo "show-json=$(tr -d '\n' < /tmp/show.json)"
            vfioctl vm-args {Device} 2> /tmp/refused.err; echo "refused-exit=$?"
            echo "refused=$(tr '\n' ' ' < /tmp/refused.err)"
            vfioctl plan {Device} | sed 's/^/plan: /'
            vfioctl bind {Device} > /dev/null; echo "bind-exit=$?"
            vfioctl vm-args {Device} --firmware seabios --memory 256M > /tmp/vmargs.txt; echo "vm-args-exit=$?"
            sed 's/^/vm-args: /' /tmp/vmargs.txt

            """ + NestedQemu + $"""

            vfioctl restore {Device} > /dev/null; echo "restore-exit=$?"
            """, timeoutSeconds: 900);

        // show: BAR 2, 64 GiB, 64-bit prefetchable, placed by the lab VM's firmware; the large-BAR line.
        Assert.Matches(@"show:   BAR 2 +64 GiB  64-bit prefetchable memory at 0x[0-9a-f]+", r.Output);
        Assert.Contains("show:   note: 64-bit BARs of 64 GiB: more than QEMU q35's default 64-bit MMIO window (32 GiB) holds", r.Output);
        using (var show = JsonDocument.Parse(r.Value("show-json")!))
        {
            var bar2 = show.RootElement.GetProperty("bars").EnumerateArray().Single(b => b.GetProperty("slot").GetString() == "bar" && b.GetProperty("index").GetInt32() == 2);
            Assert.Equal(64L << 30, bar2.GetProperty("size").GetInt64());
            Assert.True(bar2.GetProperty("is64Bit").GetBoolean());
            Assert.True(bar2.GetProperty("prefetchable").GetBoolean());
            Assert.Equal(64L << 30, show.RootElement.GetProperty("bar64Total").GetInt64());
        }

        // Not on vfio yet: refused, naming the bind that fixes it.
        Assert.Equal("3", r.Value("refused-exit"));
        Assert.Contains($"'vfioctl bind {Device}' first", r.Value("refused"));
        Assert.Contains("plan:   64-bit BARs for userspace: 64 GiB", r.Output);

        Assert.Equal("0", r.Value("bind-exit"));
        Assert.Equal("0", r.Value("vm-args-exit"));
        Assert.Contains("vm-args: -global q35-pcihost.pci-hole64-size=128G", r.Output);
        Assert.Contains($"vm-args: -device vfio-pci,host={Device},", r.Output);

        // The nested QEMU realized the device from exactly those arguments and its firmware placed BAR 2 whole.
        Assert.True(r.Value("nested-placed") == "yes", r.ToString());
        Assert.Matches(@"^BAR2: 64 bit prefetchable memory at 0x[0-9a-f]+ \[0x[0-9a-f]+\]$", r.Value("nested-bar2"));
        var bar = r.Value("nested-bar2")!;
        var range = System.Text.RegularExpressions.Regex.Match(bar, @"at 0x([0-9a-f]+) \[0x([0-9a-f]+)\]");
        ulong first = Convert.ToUInt64(range.Groups[1].Value, 16), last = Convert.ToUInt64(range.Groups[2].Value, 16);
        Assert.Equal(64UL << 30, last - first + 1);
        Assert.Equal("0", r.Value("nested-exit"));
        Assert.Equal("0", r.Value("restore-exit"));
    }

    [Theory, MemberData(nameof(RebootLab.Kernels), MemberType = typeof(RebootLab))]
    public void A_guest_without_an_iommu_is_told_its_iommu_must_come_from_the_hypervisor(string kernel)
    {
        RebootLab.RequireCurrentKernel(kernel);
        using var lab = new RebootLab(kernel);
        var r = lab.BootOk("basic", GuestShell.Vfioctl + """
            vfioctl groups 2>&1 | sed 's/^/groups: /'
            vfioctl groups --json > /tmp/groups.json; echo "groups-json=$(tr -d '\n' < /tmp/groups.json)"
            echo "hypervisor-flag=$(grep -c -w -m1 hypervisor /proc/cpuinfo)"
            """, iommu: false);

        Assert.Equal("1", r.Value("hypervisor-flag"));
        Assert.Contains("groups: This is a virtual machine (the CPU reports the hypervisor flag", r.Output);
        Assert.Contains("-device intel-iommu,intremap=on,caching-mode=on", r.Output);
        Assert.DoesNotContain("firmware setup", r.Output);
        using var groups = JsonDocument.Parse(r.Value("groups-json")!);
        var iommu = groups.RootElement.GetProperty("iommu");
        Assert.Equal("virtual-machine", iommu.GetProperty("machine").GetString());
        Assert.Equal(0, groups.RootElement.GetProperty("groups").GetArrayLength());
    }
}
