namespace Vfio.Lab;

/// <summary>
/// The lab's named topologies. Every device has a fixed bus and slot, so guest
/// PCI addresses are stable (q35; the firmware numbers buses behind root ports
/// and bridges in slot order):
/// <code>
/// basic   00:02.0 edu (1234:11e8)            own group
///         00:03.0 pcie-root-port rp1         01:00.0 nvme (1b36:0010), own group
///         00:04.0 pcie-root-port rp2         02:00.0 e1000e (8086:10d3), own group
///         00:05.0 pcie-pci-bridge (1b36:000e) 03:01.0 e1000 (8086:100e), 03:02.0 edu:
///                                            one group with the bridge
/// moved   as basic, with the NVMe and the e1000e swapped: 01:00.0 e1000e, 02:00.0 nvme (the same
///         image and serial as basic's, so with --state it is basic's disk in another slot)
/// sriov   00:03.0 pcie-root-port rp1         01:00.0 nvme PF (64 VFs possible: 01:00.1-01:08.0)
///         00:04.0 pcie-root-port rp2         02:00.0 nvme PF (64 VFs possible: 02:00.1-02:08.0)
/// in-use  00:01.0 VGA (1234:1111), the boot VGA
///         00:02.0 edu
///         00:06.0 bochs-display (1234:1111), a second display device, idle, bochs-drm
///         00:03.0 pcie-root-port rp1         01:00.0 nvme with ext4 mounted at /mnt/lab-disk
///         00:04.0 pcie-root-port rp2         02:00.0 e1000e with 192.0.2.10/24, up
/// vm      00:03.0 pcie-root-port rp1         01:00.0 ivshmem-plain (1af4:1110) with a 64 GiB BAR 2
///                                            over a sparse file, no driver; the lab VM's own
///                                            64-bit window raised to hold it
/// virtio  00:02.0 edu                        own group
///         00:03.0 pcie-root-port rp1         01:00.0 virtio-net (1af4:1041), iommu_platform=on, ats=on
///         00:04.0 pcie-root-port rp2         02:00.0 virtio-net (1af4:1041) without iommu_platform
/// all     00:00.0 q35 host bridge; 00:1d.0 and 00:1e.0 virtio-9p (the lab's run share and
///         host root: never unbind them); 00:1f.0/.2/.3 ICH9 LPC/SATA/SMBus, one group
/// </code>
/// </summary>
public static class Topologies
{
    /// <summary>Guest address of the virtio-9p device that carries the host's root file system.</summary>
    public const string HostRootShareAddress = "0000:00:1e.0";

    /// <summary>Guest address of the virtio-9p device that carries the run's share.</summary>
    public const string RunShareAddress = "0000:00:1d.0";

    /// <summary>The in-use topology's mount point for its disk.</summary>
    public const string InUseMountPoint = "/mnt/lab-disk";

    /// <summary>The in-use topology's interface address (RFC 5737 documentation range).</summary>
    public const string InUseAddress = "192.0.2.10/24";

    private static readonly LabDevice[] Common =
    [
        new("0000:00:00.0", "8086:29c0", "q35 host bridge", "chipset", "own group"),
        new(RunShareAddress, "1af4:1009", "virtio-9p-pci", "lab plumbing: the run share (never unbind)", "own group"),
        new(HostRootShareAddress, "1af4:1009", "virtio-9p-pci", "lab plumbing: the host's root file system (never unbind)", "own group"),
        new("0000:00:1f.0", "8086:2918", "ICH9 LPC", "chipset, lpc_ich", "shared: 00:1f.0, 00:1f.2, 00:1f.3 (multifunction, no ACS)"),
        new("0000:00:1f.2", "8086:2922", "ICH9 AHCI", "chipset, ahci", "shared: 00:1f.0, 00:1f.2, 00:1f.3"),
        new("0000:00:1f.3", "8086:2930", "ICH9 SMBus", "chipset, i801_smbus", "shared: 00:1f.0, 00:1f.2, 00:1f.3"),
    ];

    private static LabDevice[] WithCommon(params LabDevice[] devices) =>
        [.. devices.Concat(Common).OrderBy(d => d.Address, StringComparer.Ordinal)];

    private static string E(string value) => QemuMachine.EscapeOptionValue(value);

    private static IEnumerable<string> RootPort(int n, int slot) =>
        ["-device", $"pcie-root-port,id=rp{n},chassis={n},slot={n},bus=pcie.0,addr=0x{slot:x}"];

    /// <summary>
    /// edu on the root bus, NVMe and e1000e each behind their own root port, and a
    /// PCIe-to-PCI bridge with an e1000 and a second edu (one shared group).
    /// </summary>
    public static Topology Basic { get; } = new(
        "basic",
        "edu on the root bus; NVMe and e1000e behind their own root ports; a PCIe-to-PCI bridge with an e1000 and a second edu sharing one group",
        WithCommon(
            new("0000:00:02.0", "1234:11e8", "edu", "DMA test device, no driver", "own group"),
            new("0000:00:03.0", "1b36:000c", "pcie-root-port rp1", "port, pcieport", "own group"),
            new("0000:01:00.0", "1b36:0010", "nvme", "NVMe controller (64 MiB blank namespace), nvme", "own group"),
            new("0000:00:04.0", "1b36:000c", "pcie-root-port rp2", "port, pcieport", "own group"),
            new("0000:02:00.0", "8086:10d3", "e1000e", "NIC (isolated user netdev), e1000e", "own group"),
            new("0000:00:05.0", "1b36:000e", "pcie-pci-bridge", "PCIe-to-PCI bridge, no driver", "shared: 00:05.0, 03:01.0, 03:02.0"),
            new("0000:03:01.0", "8086:100e", "e1000", "NIC behind the bridge (isolated user netdev), e1000", "shared: 00:05.0, 03:01.0, 03:02.0"),
            new("0000:03:02.0", "1234:11e8", "edu", "DMA test device behind the bridge, no driver", "shared: 00:05.0, 03:01.0, 03:02.0")),
        [new LabDisk("nvme0", 64, LabDiskFormat.Raw)],
        disk =>
        [
            "-device", "edu,bus=pcie.0,addr=0x2",
            .. RootPort(1, 3),
            "-drive", $"file={E(disk("nvme0"))},if=none,id=nvme0,format=raw,cache=unsafe",
            "-device", "nvme,bus=rp1,addr=0x0,serial=labnvme0,drive=nvme0",
            .. RootPort(2, 4),
            "-netdev", "user,id=n0,restrict=on",
            "-device", "e1000e,bus=rp2,addr=0x0,netdev=n0,romfile=",
            "-device", "pcie-pci-bridge,id=br1,bus=pcie.0,addr=0x5",
            "-netdev", "user,id=n1,restrict=on",
            "-device", "e1000,bus=br1,addr=0x1,netdev=n1,romfile=",
            "-device", "edu,bus=br1,addr=0x2",
        ]);

    /// <summary>
    /// <see cref="Basic"/> with the NVMe and the e1000e swapped: the NVMe (the same disk id, so with
    /// <c>--state</c> the same image, and the same serial) moves to 02:00.0 behind rp2, and a
    /// different device, the e1000e, sits at the NVMe's old address 01:00.0.
    /// </summary>
    public static Topology Moved { get; } = new(
        "moved",
        "basic with the NVMe moved to 02:00.0 (behind rp2; basic's disk image and serial) and the e1000e at its old address 01:00.0",
        WithCommon(
            new("0000:00:02.0", "1234:11e8", "edu", "DMA test device, no driver", "own group"),
            new("0000:00:03.0", "1b36:000c", "pcie-root-port rp1", "port, pcieport", "own group"),
            new("0000:01:00.0", "8086:10d3", "e1000e", "NIC at basic's NVMe address (isolated user netdev), e1000e", "own group"),
            new("0000:00:04.0", "1b36:000c", "pcie-root-port rp2", "port, pcieport", "own group"),
            new("0000:02:00.0", "1b36:0010", "nvme", "basic's NVMe controller (same image and serial), moved; nvme", "own group"),
            new("0000:00:05.0", "1b36:000e", "pcie-pci-bridge", "PCIe-to-PCI bridge, no driver", "shared: 00:05.0, 03:01.0, 03:02.0"),
            new("0000:03:01.0", "8086:100e", "e1000", "NIC behind the bridge (isolated user netdev), e1000", "shared: 00:05.0, 03:01.0, 03:02.0"),
            new("0000:03:02.0", "1234:11e8", "edu", "DMA test device behind the bridge, no driver", "shared: 00:05.0, 03:01.0, 03:02.0")),
        [new LabDisk("nvme0", 64, LabDiskFormat.Raw)],
        disk =>
        [
            "-device", "edu,bus=pcie.0,addr=0x2",
            .. RootPort(1, 3),
            "-netdev", "user,id=n0,restrict=on",
            "-device", "e1000e,bus=rp1,addr=0x0,netdev=n0,romfile=",
            .. RootPort(2, 4),
            "-drive", $"file={E(disk("nvme0"))},if=none,id=nvme0,format=raw,cache=unsafe",
            "-device", "nvme,bus=rp2,addr=0x0,serial=labnvme0,drive=nvme0",
            "-device", "pcie-pci-bridge,id=br1,bus=pcie.0,addr=0x5",
            "-netdev", "user,id=n1,restrict=on",
            "-device", "e1000,bus=br1,addr=0x1,netdev=n1,romfile=",
            "-device", "edu,bus=br1,addr=0x2",
        ]);

    /// <summary>Two NVMe physical functions, each behind its own root port, each able to expose 64 VFs.</summary>
    public static Topology Sriov { get; } = new(
        "sriov",
        "two NVMe SR-IOV physical functions, each behind its own root port, each able to expose 64 VFs",
        WithCommon(
            new("0000:00:03.0", "1b36:000c", "pcie-root-port rp1", "port, pcieport", "own group"),
            new("0000:01:00.0", "1b36:0010", "nvme PF0", "SR-IOV PF, sriov_totalvfs 64, VFs at 01:00.1-01:08.0, nvme", "own group; each VF its own group"),
            new("0000:00:04.0", "1b36:000c", "pcie-root-port rp2", "port, pcieport", "own group"),
            new("0000:02:00.0", "1b36:0010", "nvme PF1", "SR-IOV PF, sriov_totalvfs 64, VFs at 02:00.1-02:08.0, nvme", "own group; each VF its own group")),
        [],
        _ =>
        [
            .. RootPort(1, 3),
            "-device", "nvme-subsys,id=ss0,nqn=vfioctl-lab-pf0",
            "-device", "nvme,bus=rp1,addr=0x0,serial=labpf0,subsys=ss0,sriov_max_vfs=64,sriov_vq_flexible=128,sriov_vi_flexible=64,max_ioqpairs=130,msix_qsize=66",
            .. RootPort(2, 4),
            "-device", "nvme-subsys,id=ss1,nqn=vfioctl-lab-pf1",
            "-device", "nvme,bus=rp2,addr=0x0,serial=labpf1,subsys=ss1,sriov_max_vfs=64,sriov_vq_flexible=128,sriov_vi_flexible=64,max_ioqpairs=130,msix_qsize=66",
        ]);

    /// <summary>Devices the host is using: the boot VGA, a disk with a mounted file system, an addressed, up NIC; plus an edu.</summary>
    public static Topology InUse { get; } = new(
        "in-use",
        $"devices the host is using: the boot VGA, an NVMe disk with ext4 mounted at {InUseMountPoint}, an e1000e that is up with {InUseAddress}; plus an edu and an idle second display device",
        WithCommon(
            new("0000:00:01.0", "1234:1111", "VGA (-vga std)", "the boot VGA (boot_vga 1), bochs-drm", "own group"),
            new("0000:00:02.0", "1234:11e8", "edu", "DMA test device, no driver", "own group"),
            new("0000:00:03.0", "1b36:000c", "pcie-root-port rp1", "port, pcieport", "own group"),
            new("0000:00:06.0", "1234:1111", "bochs-display", "a second display device (no VGA), idle: no process holds its DRM nodes; bochs-drm", "own group"),
            new("0000:01:00.0", "1b36:0010", "nvme", $"disk with ext4 mounted at {InUseMountPoint}, nvme", "own group"),
            new("0000:00:04.0", "1b36:000c", "pcie-root-port rp2", "port, pcieport", "own group"),
            new("0000:02:00.0", "8086:10d3", "e1000e", $"NIC up with {InUseAddress} (isolated user netdev, IPv6 off), e1000e", "own group")),
        [new LabDisk("labdisk", 64, LabDiskFormat.Ext4)],
        disk =>
        [
            "-device", "VGA,bus=pcie.0,addr=0x1",
            "-device", "edu,bus=pcie.0,addr=0x2",
            "-device", "bochs-display,bus=pcie.0,addr=0x6",
            .. RootPort(1, 3),
            "-drive", $"file={E(disk("labdisk"))},if=none,id=labdisk,format=raw,cache=unsafe",
            "-device", "nvme,bus=rp1,addr=0x0,serial=labdisk,drive=labdisk",
            .. RootPort(2, 4),
            "-netdev", "user,id=n0,restrict=on",
            "-device", "e1000e,bus=rp2,addr=0x0,netdev=n0,romfile=",
        ],
        guestSetup: $$"""
            # in-use: mount the NVMe disk at 01:00.0 and address the e1000e at 02:00.0.
            modprobe -q ext4
            blk=""
            i=0
            while [ "$i" -lt 100 ]; do
                for b in /sys/block/nvme*; do
                    case "$(readlink -f "$b")" in
                        */0000:01:00.0/*) blk="/dev/${b##*/}" ;;
                    esac
                done
                [ -n "$blk" ] && [ -b "$blk" ] && break
                blk=""
                sleep 0.1
                i=$((i + 1))
            done
            [ -n "$blk" ] || fatal "the lab disk (NVMe at 0000:01:00.0) did not appear"
            mkdir -p {{InUseMountPoint}}
            mount -t ext4 "$blk" {{InUseMountPoint}} || fatal "cannot mount $blk at {{InUseMountPoint}}"
            nic=""
            i=0
            while [ "$i" -lt 100 ]; do
                for n in /sys/bus/pci/devices/0000:02:00.0/net/*; do
                    [ -e "$n" ] && nic="${n##*/}"
                done
                [ -n "$nic" ] && break
                sleep 0.1
                i=$((i + 1))
            done
            [ -n "$nic" ] || fatal "the lab NIC (e1000e at 0000:02:00.0) has no interface"
            # No IPv6: no router solicitations or DAD; the interface only has to exist and be up.
            echo 1 > "/proc/sys/net/ipv6/conf/$nic/disable_ipv6" 2>/dev/null
            ip addr add {{InUseAddress}} dev "$nic" || fatal "cannot address $nic"
            ip link set "$nic" up || fatal "cannot bring $nic up"
            # Wait (bounded, not fatal) for the emulated link to come up, as on a cabled host.
            i=0
            while [ "$i" -lt 50 ] && [ "$(cat "/sys/class/net/$nic/operstate" 2>/dev/null)" != up ]; do
                sleep 0.1
                i=$((i + 1))
            done

            """);

    /// <summary>The size of the vm topology's large BAR: more than QEMU q35's default 64-bit window (32 GiB) holds.</summary>
    public const int LargeBarGiB = 64;

    /// <summary>
    /// A device with a BAR larger than a default VM maps (docs/vm.md): ivshmem-plain behind a root
    /// port, its BAR 2 backed by a sparse 64 GiB file (nothing is allocated until written). The
    /// lab VM's own q35 window is raised so that its firmware places the BAR; under emulation a
    /// much larger BAR stalls a QEMU nested in the guest, so it stays at 64 GiB.
    /// </summary>
    public static Topology Vm { get; } = new(
        "vm",
        $"ivshmem-plain with a {LargeBarGiB} GiB 64-bit BAR 2 behind a root port (no driver), for VM assignment: the lab VM's own 64-bit window is raised to hold it",
        WithCommon(
            new("0000:00:03.0", "1b36:000c", "pcie-root-port rp1", "port, pcieport", "own group"),
            new("0000:01:00.0", "1af4:1110", "ivshmem-plain", $"shared memory device, BAR 2 {LargeBarGiB} GiB 64-bit prefetchable over a sparse file, no driver", "own group")),
        [new LabDisk("bigbar", LargeBarGiB << 10, LabDiskFormat.Raw)],
        disk =>
        [
            "-global", $"q35-pcihost.pci-hole64-size={LargeBarGiB * 2}G",
            .. RootPort(1, 3),
            "-object", $"memory-backend-file,id=bigbar,size={LargeBarGiB}G,mem-path={E(disk("bigbar"))},share=on",
            "-device", "ivshmem-plain,memdev=bigbar,bus=rp1,addr=0x0",
        ]);

    /// <summary>
    /// Two modern virtio-net functions, one that honours the IOMMU (VIRTIO_F_ACCESS_PLATFORM:
    /// QEMU's iommu_platform=on, with ATS) and one that does not, and an edu: for variant drivers
    /// (virtio_vfio_pci claims 1af4:1041 on kernels that have it) and for DMA isolation.
    /// </summary>
    public static Topology Virtio { get; } = new(
        "virtio",
        "two modern virtio-net functions behind root ports, one with iommu_platform=on (honours the IOMMU) and one without; an edu",
        WithCommon(
            new("0000:00:02.0", "1234:11e8", "edu", "DMA test device, no driver", "own group"),
            new("0000:00:03.0", "1b36:000c", "pcie-root-port rp1", "port, pcieport", "own group"),
            new("0000:01:00.0", "1af4:1041", "virtio-net, iommu_platform=on,ats=on", "modern virtio NIC that negotiates ACCESS_PLATFORM (isolated user netdev), virtio-pci", "own group"),
            new("0000:00:04.0", "1b36:000c", "pcie-root-port rp2", "port, pcieport", "own group"),
            new("0000:02:00.0", "1af4:1041", "virtio-net, no iommu_platform", "modern virtio NIC that bypasses the IOMMU (isolated user netdev), virtio-pci", "own group")),
        [],
        _ =>
        [
            "-device", "edu,bus=pcie.0,addr=0x2",
            .. RootPort(1, 3),
            "-netdev", "user,id=v0,restrict=on",
            "-device", "virtio-net-pci,bus=rp1,addr=0x0,netdev=v0,disable-legacy=on,iommu_platform=on,ats=on,romfile=",
            .. RootPort(2, 4),
            "-netdev", "user,id=v1,restrict=on",
            "-device", "virtio-net-pci,bus=rp2,addr=0x0,netdev=v1,disable-legacy=on,romfile=",
        ]);

    /// <summary>All topologies, default first.</summary>
    public static IReadOnlyList<Topology> All { get; } = [Basic, Sriov, InUse, Moved, Vm, Virtio];

    /// <summary>The default topology.</summary>
    public static Topology Default => Basic;

    /// <summary>The topology named <paramref name="name"/>, or null.</summary>
    public static Topology? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
