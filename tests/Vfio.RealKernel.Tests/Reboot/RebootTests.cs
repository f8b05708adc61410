namespace Vfio.RealKernel.Tests.Reboot;

/// <summary>
/// Two-boot scenarios on the host (scripts/lab-test runs them once per kernel after the guest
/// suites): what one boot writes is there in the next, udev rules written in one boot claim a
/// device in the next before its driver can, and a disk moved to another slot keeps its identity.
/// </summary>
[Trait("topology", "reboot")]
public sealed class RebootTests
{
    private const string Nvme = "0000:01:00.0";
    private const string MovedNvme = "0000:02:00.0";

    [Theory, MemberData(nameof(RebootLab.Kernels), MemberType = typeof(RebootLab))]
    public void A_file_and_a_file_system_written_in_one_boot_are_there_in_the_next(string kernel)
    {
        using var lab = new RebootLab(kernel);
        lab.BootOk("basic", GuestShell.NvmeBlock + $"""
            set -e
            echo "written in boot 1" > /root/reboot-marker
            blk=$(nvme_block {Nvme})
            mkfs.ext4 -q -F -L rebootfs "$blk"
            """);

        var second = lab.BootOk("basic", GuestShell.NvmeBlock + $"""
            echo "marker=$(cat /root/reboot-marker)"
            blk=$(nvme_block {Nvme})
            echo "label=$(blkid -o value -s LABEL "$blk")"
            echo "type=$(blkid -o value -s TYPE "$blk")"
            """);

        Assert.Equal("written in boot 1", second.Value("marker"));
        Assert.Equal("rebootfs", second.Value("label"));
        Assert.Equal("ext4", second.Value("type"));
    }

    [Theory, MemberData(nameof(RebootLab.Kernels), MemberType = typeof(RebootLab))]
    public void A_udev_rule_written_in_one_boot_claims_the_nvme_for_vfio_pci_before_the_nvme_driver_in_the_next(string kernel)
    {
        using var lab = new RebootLab(kernel);
        lab.BootOk("basic", $$"""
            set -e
            mkdir -p /etc/udev/rules.d
            cat > /etc/udev/rules.d/40-test.rules <<'RULE'
            ACTION=="add", SUBSYSTEM=="pci", KERNEL=="{{Nvme}}", ATTR{vendor}=="0x1b36", ATTR{device}=="0x0010", ATTR{driver_override}="vfio-pci", RUN{builtin}+="kmod load vfio-pci"
            RULE
            """);

        var second = lab.BootOk("basic", GuestShell.Driver(Nvme) + $"""
            echo "override=$(cat /sys/bus/pci/devices/{Nvme}/driver_override)"
            n=0
            for c in /sys/class/nvme/*; do [ -e "$c" ] && n=$((n + 1)); done
            echo "nvme-controllers=$n"
            [ -d /sys/bus/pci/drivers/nvme ] && echo "nvme-driver=registered" || echo "nvme-driver=absent"
            echo "nvme-kernel-lines=$(dmesg | grep -cE ' nvme (nvme[0-9]+|{Nvme}):' || true)"
            echo "udevd=$(pgrep -c systemd-udevd || true)"
            """, udev: true);

        Assert.Equal("vfio-pci", second.Value($"driver:{Nvme}"));
        Assert.Equal("vfio-pci", second.Value("override"));
        // The nvme module was loaded by udev (80-drivers.rules' kmod load) and still never bound it:
        // no nvme controller was created and the driver logged nothing about it.
        Assert.Equal("registered", second.Value("nvme-driver"));
        Assert.Equal("0", second.Value("nvme-controllers"));
        Assert.Equal("0", second.Value("nvme-kernel-lines"));
        Assert.NotEqual("0", second.Value("udevd"));
    }

    [Theory, MemberData(nameof(RebootLab.Kernels), MemberType = typeof(RebootLab))]
    public void The_moved_topology_shows_the_same_nvme_at_its_new_address_and_another_device_at_the_old_one(string kernel)
    {
        using var lab = new RebootLab(kernel);
        var first = lab.BootOk("basic", GuestShell.NvmeBlock + $"""
            set -e
            blk=$(nvme_block {Nvme})
            mkfs.ext4 -q -F -L movedfs "$blk"
            for c in /sys/class/nvme/*; do
                case "$(readlink -f "$c/device")" in */{Nvme}) echo "serial=$(cat "$c/serial")" ;; esac
            done
            """);

        var second = lab.BootOk("moved", GuestShell.NvmeBlock + GuestShell.Driver(Nvme) + GuestShell.Driver(MovedNvme) + $"""
            echo "old-ids=$(cat /sys/bus/pci/devices/{Nvme}/vendor):$(cat /sys/bus/pci/devices/{Nvme}/device)"
            for c in /sys/class/nvme/*; do
                case "$(readlink -f "$c/device")" in */{MovedNvme}) echo "serial=$(cat "$c/serial")" ;; esac
            done
            blk=$(nvme_block {MovedNvme})
            echo "label=$(blkid -o value -s LABEL "$blk")"
            """);

        Assert.Equal("labnvme0", first.Value("serial")?.Trim());
        Assert.Equal("nvme", second.Value($"driver:{MovedNvme}"));
        Assert.Equal(first.Value("serial"), second.Value("serial"));
        Assert.Equal("movedfs", second.Value("label"));
        Assert.Equal("0x8086:0x10d3", second.Value("old-ids"));
        Assert.Equal("e1000e", second.Value($"driver:{Nvme}"));
    }
}
