namespace Vfio.RealKernel.Tests.Reboot;

/// <summary>
/// The package's initramfs-tools hook with Debian's real initramfs-tools, in a lab guest running
/// the lab kernel (docs/packaging.md): the guest installs the vfioctl package and initramfs-tools
/// (from the lab cache's guest packages), declares a device, builds an initramfs for the running
/// kernel with <c>mkinitramfs</c> and lists it with <c>lsinitramfs</c>. The image is not booted:
/// its init mounts a block-device root, and the lab's root is the host's file system over 9p
/// (docs/packaging.md says so).
/// </summary>
[Trait("topology", "reboot")]
public sealed class InitramfsTests
{
    private const string Nvme = "0000:03:02.0";
    private const string Fence = "0000:03:01.0";

    /// <summary>The modules the claim needs inside the initramfs (file names use '-' or '_').</summary>
    private static readonly string[] Modules = ["vfio", "vfio_iommu_type1", "vfio_pci_core", "vfio_pci", "pci_stub"];

    // 6.12 in the suite (the build takes minutes under emulation); on 6.1 it passed the same way
    // when run by hand (VFIOCTL_LAB_KERNELS=6.1 and this test as a Theory over Kernels).
    [Theory, MemberData(nameof(RebootLab.Kernels), MemberType = typeof(RebootLab))]
    public void Mkinitramfs_with_the_hook_carries_the_generated_rule_and_the_vfio_and_pci_stub_modules(string kernel)
    {
        RebootLab.RequireCurrentKernel(kernel);
        using var lab = new RebootLab(kernel);
        var checks = string.Join("", Modules.Select(m =>
            $"tr '-' '_' < /tmp/contents | grep -qE '/{m}\\.ko(\\.xz|\\.zst)?$' && echo 'module:{m}=yes' || echo 'module:{m}=no'\n"));
        var r = lab.BootOk("basic", PersistRebootTests.Install + $$"""
            set -e
            cd "$VFIOCTL_LAB_DEBS"
            dpkg -i cpio_*.deb klibc-utils_*.deb libklibc_*.deb linux-base_*.deb logsave_*.deb \
                initramfs-tools-core_*.deb initramfs-tools_*.deb > /tmp/dpkg-itools.log 2>&1 || { cat /tmp/dpkg-itools.log; exit 1; }
            cd /
            vfioctl persist add {{Nvme}} --fence {{Fence}} > /tmp/persist.out
            kver=$(uname -r)
            # mkinitramfs reads the kernel's config from /boot; the lab keeps it beside the kernel.
            [ -e /boot/config-$kver ] || cp "$VFIOCTL_LAB_DEBS"/../kernels/*/boot/config-$kver /boot/
            # Only the modules that hooks ask for (not the whole tree), as a small initramfs would.
            sed -i 's/^MODULES=.*/MODULES=list/' /etc/initramfs-tools/initramfs.conf
            mkinitramfs -o /tmp/initrd.img "$kver" > /tmp/mkinitramfs.log 2>&1 || { cat /tmp/mkinitramfs.log; exit 1; }
            echo "hook=$(ls /usr/share/initramfs-tools/hooks/vfioctl)"
            lsinitramfs /tmp/initrd.img > /tmp/contents
            echo "rule-in-image=$(grep -c '^etc/udev/rules.d/40-vfioctl.rules$' /tmp/contents || true)"
            mkdir /tmp/unpacked && unmkinitramfs /tmp/initrd.img /tmp/unpacked
            rule=$(find /tmp/unpacked -path '*etc/udev/rules.d/40-vfioctl.rules' | head -1)
            cmp -s "$rule" /etc/udev/rules.d/40-vfioctl.rules && echo "rule-same=yes" || echo "rule-same=no"
            echo "rule-claims=$(grep -c 'ATTR{driver_override}=' "$rule")"

            """ + checks, timeoutSeconds: 900);

        Assert.Equal("/usr/share/initramfs-tools/hooks/vfioctl", r.Value("hook"));
        Assert.Equal("1", r.Value("rule-in-image"));
        // The very rule vfioctl generated, claiming the device and its fence.
        Assert.Equal("yes", r.Value("rule-same"));
        Assert.Equal("2", r.Value("rule-claims"));
        foreach (var m in Modules)
            Assert.True(r.Value($"module:{m}") == "yes", $"{m} is not in the initramfs: {r}");
    }
}
