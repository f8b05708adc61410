#!/usr/bin/env bash
# Guest side of bench/vfio-vs-c.sh: runs inside ONE `vfioctl lab run --topology basic` guest, as
# root, in the repository. Binds the edu device to vfio-pci with vfioctl, runs the C program and
# the managed program alternately (odd rounds C first, even rounds managed first), restores.
#
# usage: bash bench/vfio-vs-c/guest.sh --c PATH --managed PATH --vfioctl-dll PATH
#            [--device 0000:00:02.0] [--rounds 5] [--map N] [--mmio N] [--passes P] [--warmup W]
#            [--cpu 1] [--backend container|iommufd]
# Both programs run pinned to the same vCPU (taskset -c CPU), so each gets the same CPU and the
# managed runtime's helper threads (JIT, GC) share it instead of running beside the timed loop.
#
# Output: free text, then between @@vfio-vs-c:begin@@ and @@vfio-vs-c:end@@ one record per line:
#   INFO key=value ...                      the guest and the programs
#   RESULT round=R side=c|managed what=map_unmap|mmio_read32 pass=P ops=N ns=T
set -u

C_BIN="" MANAGED="" VFIOCTL_DLL="" DEVICE=0000:00:02.0 ROUNDS=5 MAPS=5000 READS=200000 PASSES=5 WARMUP=2 CPU=1 BACKEND=container
while (($#)); do
    case "$1" in
        --c) C_BIN="$2"; shift 2 ;;
        --managed) MANAGED="$2"; shift 2 ;;
        --vfioctl-dll) VFIOCTL_DLL="$2"; shift 2 ;;
        --device) DEVICE="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --map) MAPS="$2"; shift 2 ;;
        --mmio) READS="$2"; shift 2 ;;
        --passes) PASSES="$2"; shift 2 ;;
        --warmup) WARMUP="$2"; shift 2 ;;
        --cpu) CPU="$2"; shift 2 ;;
        --backend) BACKEND="$2"; shift 2 ;;
        *) echo "guest.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
[[ -x "$C_BIN" && -x "$MANAGED" && -f "$VFIOCTL_DLL" ]] || { echo "guest.sh: --c, --managed (executables) and --vfioctl-dll are required" >&2; exit 2; }
[[ "${VFIOCTL_LAB:-}" == 1 ]] || { echo "guest.sh: this binds devices; run it in a lab guest (bench/vfio-vs-c.sh does)" >&2; exit 2; }

STATE=/run/vfio-vs-c-state
OUT=/run/vfio-vs-c
mkdir -p "$OUT"
RECORDS=$OUT/records
: >"$RECORDS"
fail=0

echo "INFO kernel=$(uname -r) cpus=$(nproc) pinned_cpu=$CPU device=$DEVICE map_ops=$MAPS mmio_ops=$READS passes=$PASSES warmup=$WARMUP rounds=$ROUNDS backend=$BACKEND" >>"$RECORDS"
modprobe vfio-pci
if ! dotnet "$VFIOCTL_DLL" bind "$DEVICE" --state-dir "$STATE"; then
    echo "guest.sh: vfioctl bind $DEVICE failed" >&2
    exit 1
fi

run() {   # run ROUND SIDE PROGRAM
    local round=$1 side=$2 program=$3
    if ! taskset -c "$CPU" "$program" "$DEVICE" --backend "$BACKEND" --map "$MAPS" --mmio "$READS" --passes "$PASSES" --warmup "$WARMUP" >"$OUT/run.txt" 2>"$OUT/run.err"; then
        echo "guest.sh: $side failed in round $round:" >&2
        cat "$OUT/run.txt" "$OUT/run.err" >&2
        fail=1
        return
    fi
    cat "$OUT/run.txt"
    grep '^INFO ' "$OUT/run.txt" | sed "s/^INFO /INFO round=$round /" >>"$RECORDS"
    grep '^RESULT ' "$OUT/run.txt" | sed "s/^RESULT /RESULT round=$round /" >>"$RECORDS"
}

for ((r = 1; r <= ROUNDS; r++)); do
    echo "== round $r of $ROUNDS"
    if ((r % 2)); then
        run "$r" c "$C_BIN"; run "$r" managed "$MANAGED"
    else
        run "$r" managed "$MANAGED"; run "$r" c "$C_BIN"
    fi
done

dotnet "$VFIOCTL_DLL" restore --all --state-dir "$STATE" || fail=1
echo "@@vfio-vs-c:begin@@"
cat "$RECORDS"
echo "@@vfio-vs-c:end@@"
exit "$fail"
