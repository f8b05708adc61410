#!/usr/bin/env bash
# Guest side of bench/bind-vs-driverctl.sh: runs inside ONE `vfioctl lab run --topology sriov`
# guest, as root, in the repository. Binds N VFs of one NVMe PF to vfio-pci and restores them
# with plain sysfs writes, with driverctl and with vfioctl, for several rounds, verifying the
# state of every VF after each phase. See bench/README.md ("Binding VFs: vfioctl, driverctl,
# plain sysfs").
#
# usage: bash bench/bind-vfs/guest.sh --vfioctl PATH [--vfioctl-jit PATH] [--probe PATH]
#                                     [--rounds N] [--numvfs N] [--pf DDDD:BB:DD.F]
#
# Besides the wall time of each phase (bash's clock), every phase is traced with ftrace at
# almost no cost: a kprobe on kernfs_fop_write_iter marks each sysfs write (whoever makes it)
# and a kprobe on do_sys_openat2, filtered to processes named "vfioctl", marks the files vfioctl
# opens. That gives the time between the first and the last sysfs write (the per-device part,
# free of process start-up) and where a vfioctl run spends the time before its first write.
#
# Output: free text, then the records between the markers
#   @@bind-vfs:begin@@ ... @@bind-vfs:end@@
# one per line, "key=value" separated by spaces (values without spaces), first word the kind:
#   INFO   key=value                      facts about the guest and the start state
#   TIME   method= round= phase= n= ms= ok= rc= writes= w_first= w_last= w_dev= [landmarks]
#          one timed phase; ok=0: verification failed; w_*: ms from the start of the phase to
#          the first / last sysfs write, and the mean interval between devices (first write of
#          the first device to first write of the last, / (n-1)); landmarks t_*: ms from the
#          start to vfioctl's first open of a file (see LANDMARKS below)
#   REF    what= ms=                      reference costs (process start-up etc.)
#   MICRO  what= round= ms=                in-process timings by bench/bind-vfs/probe
#   TRACE  what= key=value...             facts about one driverctl call
#   NOTE   text=...                       (underscores for spaces)
set -u

VFIOCTL=""
VFIOCTL_JIT=""
PROBE=""
ROUNDS=5
NUMVFS=64
PF_ADDR=0000:01:00.0
while (($#)); do
    case "$1" in
        --vfioctl) VFIOCTL="$2"; shift 2 ;;
        --vfioctl-jit) VFIOCTL_JIT="$2"; shift 2 ;;
        --probe) PROBE="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --numvfs) NUMVFS="$2"; shift 2 ;;
        --pf) PF_ADDR="$2"; shift 2 ;;
        *) echo "guest.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
[[ -n "$VFIOCTL" && -x "$VFIOCTL" ]] || { echo "guest.sh: --vfioctl PATH (an executable) is required" >&2; exit 2; }
[[ "${VFIOCTL_LAB:-}" == 1 ]] || { echo "guest.sh: this changes driver bindings; run it in a lab guest (bench/bind-vs-driverctl.sh does)" >&2; exit 2; }

PF=/sys/bus/pci/devices/$PF_ADDR
STATE=/run/bind-vfs-state            # vfioctl's journal and lock: a fresh tmpfs directory per guest
WORK=/run/bind-vfs
mkdir -p "$WORK"
RECORDS=$WORK/records
: >"$RECORDS"

# --- helpers ------------------------------------------------------------------------------------
# The clock: bash's $EPOCHREALTIME (microseconds, no fork). The guest runs no time daemon, so the
# wall clock does not step during a run; date +%s%N would cost a fork per reading.
now_us() { local t=${EPOCHREALTIME/./}; echo $((10#$t)); }
rec() { echo "$*" >>"$RECORDS"; }
note() { local t="$*"; rec "NOTE text=${t// /_}"; echo "note: $*"; }
ms_of() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

driver_of() { local l; l=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) && echo "${l##*/}" || echo none; }
override_of() { local o; o=$(<"/sys/bus/pci/devices/$1/driver_override"); echo "${o:-(null)}"; }
snapshot() { local a; for a in "${VFS[@]}"; do printf '%s=%s/%s ' "$a" "$(driver_of "$a")" "$(override_of "$a")"; done; }

# verify_bound DRIVER: every VF in VFS on DRIVER (the override is each tool's business).
verify_bound() {
    local a bad=0
    for a in "${VFS[@]}"; do
        [[ "$(driver_of "$a")" == "$1" ]] || { ((bad < 3)) && echo "  verify: $a is on $(driver_of "$a"), expected $1"; bad=$((bad + 1)); }
    done
    ((bad == 0)) || echo "  verify: $bad of ${#VFS[@]} VFs are not on $1"
    return $((bad > 0))
}
# verify_start: EVERY VF (not only VFS) back to its start driver and its start override.
verify_start() {
    local a bad=0
    for a in "${ALL_VFS[@]}"; do
        local now="$(driver_of "$a")/$(override_of "$a")"
        [[ "$now" == "${START[$a]}" ]] || { ((bad < 3)) && echo "  verify: $a is $now, start state was ${START[$a]}"; bad=$((bad + 1)); }
    done
    ((bad == 0)) || echo "  verify: $bad of ${#ALL_VFS[@]} VFs are not back in the start state"
    return $((bad > 0))
}
# Forces the start state (after a method that failed), untimed.
reset_state() {
    local a
    for a in "${ALL_VFS[@]}"; do
        echo >"/sys/bus/pci/devices/$a/driver_override"
        [[ -e /sys/bus/pci/devices/$a/driver ]] && echo "$a" >"/sys/bus/pci/devices/$a/driver/unbind"
        [[ "${START[$a]%%/*}" != none ]] && echo "$a" >/sys/bus/pci/drivers_probe 2>/dev/null
    done
    rm -rf "$STATE"
    verify_start >/dev/null || echo "  reset: could not return every VF to the start state"
}

# --- ftrace -------------------------------------------------------------------------------------
T=/sys/kernel/tracing
TRACING=0
trace_setup() {
    mountpoint -q $T || mount -t tracefs nodev $T 2>/dev/null || return 1
    [[ -w $T/kprobe_events ]] || return 1
    echo 0 >$T/tracing_on
    echo mono >$T/trace_clock 2>/dev/null
    echo 8192 >$T/buffer_size_kb
    echo 'p:bindvfs/kfw kernfs_fop_write_iter' >>$T/kprobe_events || return 1
    echo 'p:bindvfs/open do_sys_openat2 path=+0($arg2):ustring' >>$T/kprobe_events || return 1
    echo 'comm == "vfioctl"' >$T/events/bindvfs/open/filter || return 1
    echo 1 >$T/events/bindvfs/kfw/enable && echo 1 >$T/events/bindvfs/open/enable || return 1
    echo >$T/trace
    echo 1 >$T/tracing_on
    TRACING=1
}
trace_begin() { ((TRACING)) && { echo >$T/trace; echo bindvfs-begin >$T/trace_marker; }; }
trace_end() { ((TRACING)) && echo bindvfs-end >$T/trace_marker; }
# Files whose first open by vfioctl marks a phase of its run (landmark=regex on the path).
LANDMARKS='sysdevs=^/sys/bus/pci/devices$ groups=^/sys/kernel/iommu_groups$ proc=^/proc/[0-9]+/fd$ pciids=pci\.ids$ aliases=modules\.alias$ journal=journal\.json$ jsave=journal\.json\.tmp$'
# trace_summary N: "writes=.. w_first=.. w_last=.. w_dev=.. t_LANDMARK=.." for the phase just traced.
trace_summary() {
    ((TRACING)) || { echo "writes=na"; return; }
    awk -v n="$1" -v marks="$LANDMARKS" '
        BEGIN { nm = split(marks, m, " "); for (i = 1; i <= nm; i++) { split(m[i], kv, "="); key[i] = kv[1]; re[i] = substr(m[i], length(kv[1]) + 2) } }
        {
            ts = ""
            for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { ts = substr($i, 1, length($i) - 1); break }
            if (ts == "") next
        }
        /tracing_mark_write: bindvfs-begin/ { t0 = ts; next }
        /tracing_mark_write: bindvfs-end/ { tend = ts; next }
        t0 == "" { next }
        / kfw: / { w[nw++] = ts; next }
        / open: / {
            p = $0; sub(/.*path="/, "", p); sub(/"$/, "", p)
            for (i = 1; i <= nm; i++) if (!(key[i] in at) && p ~ re[i]) at[key[i]] = ts
        }
        END {
            if (t0 == "") { print "writes=na"; exit }
            printf "writes=%d", nw
            if (nw > 0) {
                printf " w_first=%.1f w_last=%.1f", (w[0] - t0) * 1000, (w[nw - 1] - t0) * 1000
                if (n > 1 && nw % n == 0) printf " w_dev=%.3f", (w[(n - 1) * nw / n] - w[0]) * 1000 / (n - 1)
            }
            if (tend != "") printf " t_end=%.1f", (tend - t0) * 1000
            for (i = 1; i <= nm; i++) if (key[i] in at) printf " t_%s=%.1f", key[i], (at[key[i]] - t0) * 1000
            printf "\n"
        }' $T/trace
}

# timed METHOD ROUND PHASE N VERIFY-CMD -- CMD...: runs CMD, times it, verifies, records.
timed() {
    local method=$1 round=$2 phase=$3 n=$4 verify=$5; shift 6
    local t0 t1 rc ok=1 ms tr
    trace_begin
    t0=$(now_us)
    "$@" >"$WORK/last.out" 2>&1
    rc=$?
    t1=$(now_us)
    trace_end
    ms=$(ms_of "$t0" "$t1")
    tr=$(trace_summary "$n")
    if ! $verify >"$WORK/verify.out"; then ok=0; fi
    rec "TIME method=$method round=$round phase=$phase n=$n ms=$ms ok=$ok rc=$rc $tr"
    local wdev=""; [[ "$tr" =~ w_dev=([0-9.]+) ]] && wdev="  (${BASH_REMATCH[1]} ms/device between first and last write)"
    printf '  %-12s %-8s n=%-3s %9s ms  rc=%s %s%s\n' "$method" "$phase" "$n" "$ms" "$rc" "$( ((ok)) && echo verified || echo 'VERIFICATION FAILED')" "$wdev"
    if ((!ok)); then
        cat "$WORK/verify.out"
        echo "  --- output of the failed command (last 15 lines) ---"
        tail -15 "$WORK/last.out"
    fi
    return $((!ok))
}

# --- the methods (each binds or restores the VFs given as arguments) ------------------------------
sysfs_bind() {
    local a d
    for a in "$@"; do
        d=/sys/bus/pci/devices/$a
        echo vfio-pci >"$d/driver_override" || return 1
        if [[ -e $d/driver ]]; then echo "$a" >"$d/driver/unbind" || return 1; fi
        echo "$a" >/sys/bus/pci/drivers_probe || return 1
    done
}
sysfs_restore() {
    local a d
    for a in "$@"; do
        d=/sys/bus/pci/devices/$a
        # "echo >" writes "\n": a zero-length write never reaches the kernel, so "echo -n" would not clear it.
        echo >"$d/driver_override" || return 1
        if [[ -e $d/driver ]]; then echo "$a" >"$d/driver/unbind" || return 1; fi
        if [[ "${START[$a]%%/*}" != none ]]; then echo "$a" >/sys/bus/pci/drivers_probe || return 1; fi
    done
}
driverctl_bind() {
    local a rc=0
    for a in "$@"; do driverctl --nosave set-override "$a" vfio-pci || rc=1; done
    return $rc
}
driverctl_restore() {
    local a rc=0
    for a in "$@"; do driverctl --nosave unset-override "$a" || rc=1; done
    return $rc
}
vfioctl_bind() { "$VFIOCTL_CUR" bind --state-dir "$STATE" --json "$@"; }
vfioctl_restore() { "$VFIOCTL_CUR" restore --state-dir "$STATE" --all --json; }

# --- set-up -------------------------------------------------------------------------------------
echo "== guest: $(uname -r), $(nproc) CPUs, topology ${VFIOCTL_LAB_TOPOLOGY:-?}"
[[ -d $PF ]] || { echo "guest.sh: no PF at $PF (is this the sriov topology?)" >&2; exit 1; }
command -v driverctl >/dev/null || { echo "guest.sh: driverctl is not installed on the host (apt-get install driverctl)" >&2; exit 1; }
rec "INFO kernel=$(uname -r) cpus=$(nproc) pf=$PF_ADDR numvfs=$NUMVFS rounds=$ROUNDS"
# The CPU model decides how much of .NET's precompiled code the guest can use (bench/README.md).
cpu_model=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//; s/ /_/g')
cpu_flags=$(grep -m1 '^flags' /proc/cpuinfo)
isa=""; for f in ssse3 sse4_2 popcnt avx2; do [[ " $cpu_flags " == *" $f "* ]] && isa="$isa${isa:+,}$f"; done
rec "INFO cpu_model=$cpu_model cpu_isa=${isa:-none}"
rec "INFO driverctl=$(dpkg-query -W -f '${Version}' driverctl 2>/dev/null || echo unknown) dotnet=$(ls /usr/share/dotnet/shared/Microsoft.NETCore.App 2>/dev/null | tail -1)"

t0=$(now_us)
modprobe vfio-pci && modprobe vfio_iommu_type1 || { echo "guest.sh: cannot load vfio-pci / vfio_iommu_type1" >&2; exit 1; }
t1=$(now_us)
echo "== modules: vfio-pci and vfio_iommu_type1 loaded up front ($(ms_of "$t0" "$t1") ms), so no method pays for loading them"
rec "REF what=modprobe-vfio-pci-first-load ms=$(ms_of "$t0" "$t1")"

echo 1 >"$PF/sriov_drivers_autoprobe"
t0=$(now_us)
echo "$NUMVFS" >"$PF/sriov_numvfs" || { echo "guest.sh: cannot create $NUMVFS VFs on $PF_ADDR" >&2; exit 1; }
t1=$(now_us)
echo "== $NUMVFS VFs created on $PF_ADDR with sriov_drivers_autoprobe=1 in $(ms_of "$t0" "$t1") ms"
rec "REF what=create-vfs-autoprobe ms=$(ms_of "$t0" "$t1")"

# The VFs in virtfn order (virtfn0 ... virtfnN-1), as addresses.
ALL_VFS=()
for ((i = 0; i < NUMVFS; i++)); do
    l=$(readlink "$PF/virtfn$i") || { echo "guest.sh: $PF/virtfn$i is missing" >&2; exit 1; }
    ALL_VFS+=("${l##*/}")
done
VFS=("${ALL_VFS[@]}")
# nvme probes the VFs (autoprobe on): wait until the bindings stop changing.
prev=""; for ((i = 0; i < 20; i++)); do cur=$(snapshot); [[ "$cur" == "$prev" ]] && break; prev=$cur; sleep 0.5; done
declare -A START
for a in "${ALL_VFS[@]}"; do START[$a]="$(driver_of "$a")/$(override_of "$a")"; done
echo "== start state (driver/override of every VF after creation; every restore must return to it):"
printf '%s\n' "${START[@]}" | sort | uniq -c | sed 's/^/   /'
for s in $(printf '%s\n' "${START[@]}" | sort | uniq -c | awk '{print $2 "=" $1}'); do rec "INFO start_state=$s"; done
probe_msgs=$(dmesg | grep -E "nvme ${PF_ADDR%:*}:[0-9a-f]{2}\.[0-7]: enabling device" | grep -vc "$PF_ADDR" || true)
not_ready=$(dmesg | grep -c 'Device not ready; aborting initialisation' || true)
rec "INFO nvme_enabling_device_lines=$probe_msgs nvme_not_ready_lines=$not_ready"
echo "   dmesg: $probe_msgs VFs 'enabling device' (nvme probed them), $not_ready 'Device not ready; aborting initialisation', e.g.:"
dmesg | grep 'Device not ready; aborting initialisation' | head -1 | sed 's/^/     /'
nvme_bound=$(printf '%s\n' "${START[@]}" | grep -c '^nvme/' || true)
if ((nvme_bound == 0)); then
    echo "   QEMU's NVMe VFs stay offline until the PF assigns them resources (Virtualization Management),"
    echo "   so nvme's probe fails (ENODEV, not logged by the driver core) and each VF is left without a driver."
    note "start state: all VFs without a driver (nvme probes each VF and fails: Device not ready, CSTS=0x2)"
fi
rm -rf "$STATE"

if trace_setup; then
    echo "== ftrace: kprobes on kernfs_fop_write_iter (every sysfs write) and do_sys_openat2 (vfioctl's opens), clock mono"
else
    note "ftrace kprobes unavailable: no sysfs-write timings"
fi
rec "INFO tracing=$TRACING"

# --- reference costs and warm-up --------------------------------------------------------------------
ref() {
    local what=$1; shift
    local t0 t1
    t0=$(now_us); "$@" >/dev/null 2>&1; t1=$(now_us)
    rec "REF what=$what ms=$(ms_of "$t0" "$t1")"
    printf '  %-34s %9s ms\n' "$what" "$(ms_of "$t0" "$t1")"
}
echo "== warm-up (untimed): every build reads its files once through 9p; plan reads pci.ids and modules.alias"
for v in "$VFIOCTL" ${VFIOCTL_JIT:+"$VFIOCTL_JIT"}; do "$v" --help >/dev/null 2>&1; "$v" plan --json "${ALL_VFS[0]}" >/dev/null 2>&1; done
[[ -n "$PROBE" ]] && "$PROBE" >/dev/null 2>&1
echo "== reference costs"
for i in 1 2 3; do
    ref bash-true bash -c true
    ref modprobe-q-vfio-pci-loaded /sbin/modprobe -q vfio-pci
    [[ -n "$PROBE" ]] && ref dotnet-hello-r2r "$PROBE"
done
# Start-up and a read command as whole processes, next to lspci on the same guest: vfioctl's
# --version, list --json of the lab-basic capture (unpacked each run) and of this guest's own
# sysfs, and lspci -D -nn -k (this guest's sysfs). Five of each, interleaved.
FIXTURE=tests/fixtures/lab-basic-vfio-6.12.tar.gz
echo "== start-up and list, whole commands (5 rounds, interleaved)"
"$VFIOCTL" --json --root "$FIXTURE" list >/dev/null 2>&1; lspci -D -nn -k >/dev/null 2>&1
for i in 1 2 3 4 5; do
    ref vfioctl-version "$VFIOCTL" --version
    ref lspci-Dnnk lspci -D -nn -k
    [[ -f "$FIXTURE" ]] && ref vfioctl-list-json-lab-basic "$VFIOCTL" --json --root "$FIXTURE" list
    ref vfioctl-list-json-guest "$VFIOCTL" --json list
done

# --- mechanisms vfioctl's bind path uses, timed in-process (bench/bind-vfs/probe) ----------------------
if [[ -n "$PROBE" ]]; then
    echo "== in-process micro-timings (bench/bind-vfs/probe; each a fresh process, ms inside it)"
    for i in 1 2 3; do
        for what in "threads $((2 * NUMVFS)) /dev/null" "pool $((2 * NUMVFS)) /dev/null" "inline $((2 * NUMVFS)) /dev/null" "json-reflection $NUMVFS" "json-sourcegen $NUMVFS" "json-writer $NUMVFS"; do
            # shellcheck disable=SC2086
            out=$("$PROBE" $what 2>&1)
            ms=${out#ms=}
            [[ "$out" == ms=* ]] || ms=na
            read -r mode count _ <<<"$what"
            rec "MICRO what=$mode-$count round=$i ms=$ms"
            printf '  %-34s %9s ms\n' "$what" "$ms"
        done
    done
fi

# --- rounds -------------------------------------------------------------------------------------
declare -A FAILED
run_method() {
    local m=$1 r=$2
    [[ -n "${FAILED[$m]:-}" ]] && { echo "  $m: skipped (failed verification earlier)"; return; }
    case $m in
        sysfs)
            timed sysfs "$r" bind "$NUMVFS" "verify_bound vfio-pci" -- sysfs_bind "${VFS[@]}" &&
                timed sysfs "$r" restore "$NUMVFS" verify_start -- sysfs_restore "${VFS[@]}" || FAILED[$m]=1 ;;
        driverctl)
            timed driverctl "$r" bind "$NUMVFS" "verify_bound vfio-pci" -- driverctl_bind "${VFS[@]}" &&
                timed driverctl "$r" restore "$NUMVFS" verify_start -- driverctl_restore "${VFS[@]}" || FAILED[$m]=1 ;;
        vfioctl | vfioctl-jit)
            VFIOCTL_CUR=$VFIOCTL; [[ $m == vfioctl-jit ]] && VFIOCTL_CUR=$VFIOCTL_JIT
            timed "$m" "$r" help 0 true -- "$VFIOCTL_CUR" --help
            # 1 device (the fixed cost), then all of them; plan (read + plan, no writes) for each.
            VFS=("${ALL_VFS[0]}")
            timed "$m" "$r" plan 1 true -- "$VFIOCTL_CUR" plan --json "${VFS[@]}" &&
                timed "$m" "$r" bind 1 "verify_bound vfio-pci" -- vfioctl_bind "${VFS[@]}" &&
                timed "$m" "$r" restore 1 verify_start -- vfioctl_restore
            local ok1=$?
            VFS=("${ALL_VFS[@]}")
            if ((ok1 == 0)); then
                timed "$m" "$r" plan "$NUMVFS" true -- "$VFIOCTL_CUR" plan --json "${VFS[@]}" &&
                    timed "$m" "$r" bind "$NUMVFS" "verify_bound vfio-pci" -- vfioctl_bind "${VFS[@]}" &&
                    timed "$m" "$r" restore "$NUMVFS" verify_start -- vfioctl_restore || FAILED[$m]=1
            else
                FAILED[$m]=1
            fi ;;
    esac
    [[ -n "${FAILED[$m]:-}" ]] && { echo "  $m FAILED verification: reported as failed, not timed; resetting the VFs"; reset_state; }
}

METHODS=(sysfs driverctl vfioctl)
[[ -n "$VFIOCTL_JIT" ]] && METHODS+=(vfioctl-jit)
for ((r = 1; r <= ROUNDS; r++)); do
    order=("${METHODS[@]}")
    if ((r % 2 == 0)); then order=(); for ((i = ${#METHODS[@]} - 1; i >= 0; i--)); do order+=("${METHODS[i]}"); done; fi
    echo "== round $r of $ROUNDS: ${order[*]}"
    for m in "${order[@]}"; do run_method "$m" "$r"; done
    verify_start >/dev/null || { echo "  round $r left VFs out of the start state: resetting"; reset_state; }
done

# --- runtime settings: does a knob cut the JIT build's start-up? (1 VF, 3 times each) ----------------
# The installed vfioctl is native (no runtime to tune): only the plain JIT build, when measured.
VFS=("${ALL_VFS[0]}")
[[ -n "$VFIOCTL_JIT" ]] && echo "== vfioctl-jit 1-VF bind + restore under runtime settings"
for setting in ${VFIOCTL_JIT:+default DOTNET_TieredPGO=0 DOTNET_TieredCompilation=0 DOTNET_ReadyToRun=0}; do
    envs=(); [[ $setting != default ]] && IFS=, read -r -a envs <<<"$setting"
    for i in 1 2 3; do
        timed "env:$setting" "$i" bind 1 "verify_bound vfio-pci" -- env "${envs[@]}" "$VFIOCTL_JIT" bind --state-dir "$STATE" --json "${VFS[@]}" &&
            timed "env:$setting" "$i" restore 1 verify_start -- env "${envs[@]}" "$VFIOCTL_JIT" restore --state-dir "$STATE" --all --json ||
            { reset_state; break; }
    done
done
VFS=("${ALL_VFS[@]}")

# --- what does one driverctl call run? --------------------------------------------------------------
if command -v strace >/dev/null; then
    a=${ALL_VFS[1]}
    for cmd in set-override unset-override; do
        args=(--nosave "$cmd" "$a"); [[ $cmd == set-override ]] && args+=(vfio-pci)
        strace -f -qq -e trace=execve -o "$WORK/dc.trace" driverctl "${args[@]}" >"$WORK/dc.out" 2>&1
        rc=$?
        execs=$(grep -c 'execve(' "$WORK/dc.trace")
        progs=$(grep -o 'execve("[^"]*"' "$WORK/dc.trace" | sed 's/execve("//; s/"$//' | xargs -n1 basename | sort | uniq -c | awk '{printf "%s:%s,", $2, $1}')
        rec "TRACE what=driverctl-$cmd execs=$execs programs=${progs%,} rc=$rc"
        echo "== one driverctl $cmd: $execs execve (${progs%,}), exit $rc $(tr '\n' ' ' <"$WORK/dc.out")"
        grep -q udevadm "$WORK/dc.trace" && note "driverctl $cmd ran udevadm"
    done
    reset_state
fi

((TRACING)) && { echo 0 >$T/tracing_on; echo 0 >$T/events/bindvfs/enable; echo '-:bindvfs/kfw' >>$T/kprobe_events; echo '-:bindvfs/open' >>$T/kprobe_events; }
echo "@@bind-vfs:begin@@"
cat "$RECORDS"
echo "@@bind-vfs:end@@"
exit 0
