#!/bin/sh
# vfioctl lab: /init of the lab's initramfs (busybox-static, run as PID 1).
#
# Loads the few modules needed to reach the host (listed in /modules.load in
# dependency order), mounts the host's root file system read-only over
# virtio-9p (mount tag "hostroot"), makes it writable with a tmpfs-upper
# overlay, mounts the per-run share (tag "labrun") at /run/vfioctl-lab and
# switches root into it. With "vfioctl_lab.state=1" on the kernel command line
# (vfioctl lab run --state DIR) the overlay's upper layer is instead the ext4
# file system on the virtio disk (DIR/root.ext4), so the guest's writes survive
# to the next run. The host's own /bin/sh then runs setup.sh from the
# run share as PID 1.
#
# Lines starting with "vfioctl-lab: FATAL:" tell the host that the guest
# could not reach the command; the guest then powers off.

export PATH=/bin

fatal() {
    echo "vfioctl-lab: FATAL: $*"
    poweroff -f
    sleep 60
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

read -r up _ < /proc/uptime
echo "vfioctl-lab: initramfs at ${up}s"

while read -r m; do
    [ -n "$m" ] || continue
    insmod "/modules/$m" || fatal "insmod $m failed"
done < /modules.load

mkdir -p /host /rw /newroot
# cache=loose: the lower layer is read-only and only read during the run.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host \
    || fatal "cannot mount the host's root over virtio-9p (tag hostroot)"
case " $(cat /proc/cmdline) " in
*" vfioctl_lab.state=1 "*)
    while read -r m; do
        [ -n "$m" ] || continue
        insmod "/modules/$m" || fatal "insmod $m failed"
    done < /modules.state
    i=0
    while [ ! -b /dev/vda ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ -b /dev/vda ] || fatal "the state disk (virtio-blk at 00:1c.0) did not appear"
    mount -t ext4 /dev/vda /rw || fatal "cannot mount the state disk (root.ext4 in the state directory)"
    ;;
*)
    mount -t tmpfs -o mode=0755 lab-rw /rw || fatal "cannot mount the overlay's tmpfs"
    ;;
esac
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work lab-root /newroot \
    || fatal "cannot mount the overlay over the host's root"
mount -t tmpfs -o mode=0755,nosuid,nodev lab-run /newroot/run || fatal "cannot mount /run"
mkdir -p /newroot/run/vfioctl-lab
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 labrun /newroot/run/vfioctl-lab \
    || fatal "cannot mount the run share (tag labrun)"
[ -f /newroot/run/vfioctl-lab/setup.sh ] || fatal "setup.sh is missing from the run share"

mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev

exec switch_root /newroot /bin/sh /run/vfioctl-lab/setup.sh
fatal "switch_root failed"
