#!/bin/sh
# vfioctl lab: guest setup. Runs as PID 1 with the host's /bin/sh after the
# initramfs switched root into the overlay of the host's root file system.
#
# The run share (/run/vfioctl-lab) holds, written by the host for this run:
#   run.env      LAB_* variables (shell-quoted by the host): markers, module
#                directory, working directory, topology, kernel series, PATH,
#                udev or not, the guest packages' directory
#   topology.sh  the topology's own setup (optional; sourced)
#   command.sh   the user's command (cd + exec, shell-quoted by the host)
# and receives:
#   status       the command's exit status
#
# The host reads the serial console: everything between the LAB_BEGIN and
# LAB_END markers is the command's output; the end marker carries the status.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LAB=/run/vfioctl-lab
. "$LAB/run.env"

say() { echo "vfioctl-lab: $*"; }
uptime_s() { read -r up _ < /proc/uptime; echo "$up"; }

power_off() {
    sync
    /bin/busybox poweroff -f 2>/dev/null
    echo o > /proc/sysrq-trigger
    sleep 60
}

fatal() {
    say "FATAL: $*"
    echo 255 > "$LAB/status"
    power_off
}

mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts || fatal "cannot mount devpts"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm || fatal "cannot mount /dev/shm"

# The extracted kernel's modules, seen through the 9p share, so the host's
# kmod (which reads .ko.xz) can load anything the kernel has.
KVER=$(uname -r)
mkdir -p "/lib/modules/$KVER" || fatal "cannot create /lib/modules/$KVER"
mount --bind "$LAB_MODULES" "/lib/modules/$KVER" || fatal "cannot bind-mount $LAB_MODULES"

# /tmp stays the overlay's: the host's /tmp shows through read-only and writes land in the
# guest's tmpfs upper layer, so a checkout under /tmp (as CI may clone) works in the guest too.
echo vfioctl-lab > /proc/sys/kernel/hostname
# Kernel messages (DMAR faults a test provokes, driver chatter) must not be
# mixed into the command's output on the console: only emergencies from now
# on. `dmesg` still shows everything.
echo 1 > /proc/sys/kernel/printk
ip link set lo up 2>/dev/null

if [ "$LAB_UDEV" = 1 ]; then
    # Coldplug as a distribution boots: Debian's systemd-udevd (the host's, through the share)
    # as a daemon, every subsystem and device replayed as "add", then wait for the queue to
    # empty. Rules in /etc/udev/rules.d apply (and persist with --state). udevd logs to the
    # kernel log (dmesg), not the console; it keeps running during the command.
    mkdir -p /run/udev
    SYSTEMD_LOG_TARGET=kmsg SYSTEMD_LOG_LEVEL=warning \
        /lib/systemd/systemd-udevd --daemon > /dev/null 2>&1 || fatal "systemd-udevd did not start"
    udevadm trigger --type=subsystems --action=add > /dev/null 2>&1
    udevadm trigger --type=devices --action=add > /dev/null 2>&1
    udevadm settle --timeout=60 > /dev/null 2>&1 || say "udevadm settle timed out after 60 s"
else
    # Coldplug: there is no udev, so load the driver for every PCI device the way
    # udev would (modprobe resolves the modalias), ignoring devices without one.
    modprobe -a -b -q $(cat /sys/bus/pci/devices/*/modalias) 2>/dev/null
    # virtio-pci makes a virtio device per function; their drivers (virtio_net...) go by the
    # virtio bus's modalias, as udev would load them.
    [ -d /sys/bus/virtio/devices ] && modprobe -a -b -q $(cat /sys/bus/virtio/devices/*/modalias) 2>/dev/null
    # Settle: probes can finish asynchronously; wait until the number of bound
    # devices stops changing (at most about 5 s).
    last=-1
    stable=0
    n=0
    while [ "$n" -lt 50 ]; do
        cur=$(ls -d /sys/bus/pci/devices/*/driver 2>/dev/null | wc -l)
        if [ "$cur" = "$last" ]; then
            stable=$((stable + 1))
            [ "$stable" -ge 3 ] && break
        else
            stable=0
            last=$cur
        fi
        sleep 0.1
        n=$((n + 1))
    done
fi

if [ -f "$LAB/topology.sh" ]; then
    . "$LAB/topology.sh"
fi

say "ready at $(uptime_s)s"

echo "$LAB_BEGIN"
env -i \
    PATH="$LAB_PATH" \
    HOME=/root \
    USER=root \
    LOGNAME=root \
    SHELL=/bin/sh \
    TERM=dumb \
    LANG=C.UTF-8 \
    TMPDIR=/tmp \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
    DOTNET_CLI_HOME=/root \
    VFIOCTL_LAB=1 \
    VFIOCTL_LAB_TOPOLOGY="$LAB_TOPOLOGY" \
    VFIOCTL_LAB_KERNEL="$LAB_KERNEL" \
    VFIOCTL_LAB_UDEV="$LAB_UDEV" \
    VFIOCTL_LAB_DEBS="$LAB_DEBS" \
    VFIOCTL_LAB_HEADERS="${LAB_HEADERS:-}" \
    /bin/sh "$LAB/command.sh" < /dev/null
rc=$?
echo "$LAB_END$rc@@"
echo "$rc" > "$LAB/status"

if [ "$LAB_INTERACTIVE" = 1 ]; then
    say "the command exited with status $rc; here is a shell in the guest (exit it to power off)"
    sh=/bin/sh
    [ -x /bin/bash ] && sh=/bin/bash
    cd "$LAB_CWD" 2>/dev/null || cd /
    env -i PATH="$LAB_PATH" HOME=/root TERM="${LAB_TERM:-vt100}" LANG=C.UTF-8 \
        VFIOCTL_LAB=1 VFIOCTL_LAB_TOPOLOGY="$LAB_TOPOLOGY" VFIOCTL_LAB_KERNEL="$LAB_KERNEL" \
        setsid -c "$sh" -i < /dev/ttyS0 > /dev/ttyS0 2>&1
fi

power_off
