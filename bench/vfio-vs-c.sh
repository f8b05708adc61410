#!/usr/bin/env bash
# Vfio.Userspace against a small C program making the same VFIO calls, in ONE lab guest
# (`vfioctl lab run --topology basic`): 4 KiB DMA map+unmap pairs per second and 32-bit MMIO
# reads per second on QEMU's edu device. See bench/README.md ("Vfio.Userspace against C").
#
# usage: bench/vfio-vs-c.sh [--backend container|iommufd] [--rounds 5] [--kernel 6.12] [--map 5000] [--mmio 200000]
#                           [--passes 5] [--warmup 2] [--timeout 1800] [--wait-quiet 600]
#                           [--from-log FILE]
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: bench/vfio-vs-c.sh [options]
  --backend B     container (VFIO_IOMMU_MAP_DMA) or iommufd (IOMMU_IOAS_MAP on the device cdev;
                  needs the lab's 7.3 kernel, the default kernel then) (default container)
  --rounds N      rounds in the guest, C and C# alternating which goes first (default 5)
  --kernel K      lab kernel, 6.12, 6.1 or 7.3 (default 6.12; 7.3 with --backend iommufd)
  --map N         map+unmap pairs per timed pass (default 5000)
  --mmio N        32-bit MMIO reads per timed pass (default 200000)
  --passes P      timed passes per program run (default 5)
  --warmup W      untimed passes per program run before timing (default 2)
  --timeout S     lab timeout in seconds, boot included (default 1800)
  --wait-quiet S  wait up to S seconds for other QEMU guests on this machine to finish before
                  booting (default 600; 0: do not wait)
  --from-log F    run nothing: re-read a guest log saved by an earlier run and print the table
Writes bench/out/vfio-vs-c/guest.log and bench/out/vfio-vs-c-BACKEND.json.
USAGE
}

BACKEND=container KERNEL="" ROUNDS=5 MAPS=5000 READS=200000 PASSES=5 WARMUP=2 TIMEOUT=1800 WAIT_QUIET=600 FROM_LOG=""
while (($#)); do
    case "$1" in
        --backend) BACKEND="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --kernel) KERNEL="$2"; shift 2 ;;
        --map) MAPS="$2"; shift 2 ;;
        --mmio) READS="$2"; shift 2 ;;
        --passes) PASSES="$2"; shift 2 ;;
        --warmup) WARMUP="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --wait-quiet) WAIT_QUIET="$2"; shift 2 ;;
        --from-log) FROM_LOG="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "vfio-vs-c: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
for v in "$ROUNDS" "$MAPS" "$READS" "$PASSES" "$WARMUP" "$TIMEOUT" "$WAIT_QUIET"; do
    [[ "$v" =~ ^[0-9]+$ ]] || { echo "vfio-vs-c: numeric options take whole numbers" >&2; exit 2; }
done
((ROUNDS >= 1 && PASSES >= 1 && MAPS >= 1 && READS >= 1)) || { echo "vfio-vs-c: --rounds, --passes, --map and --mmio must be at least 1" >&2; exit 2; }

[[ "$BACKEND" == container || "$BACKEND" == iommufd ]] || { echo "vfio-vs-c: --backend container or iommufd" >&2; exit 2; }
[[ -n "$KERNEL" ]] || { [[ "$BACKEND" == iommufd ]] && KERNEL=7.3 || KERNEL=6.12; }

cd "$(dirname "$0")/.."
OUT=bench/out/vfio-vs-c
mkdir -p "$OUT"
log() { printf '== %s\n' "$*" >&2; }
die() { printf 'vfio-vs-c: %s\n' "$*" >&2; exit 1; }
command -v python3 >/dev/null || die "python3 is not on PATH"

LAB_RC=0
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src bench/vfio-vs-c 2>/dev/null || commit+=" (uncommitted changes in src/ or bench/vfio-vs-c/)"
if [[ -n "$FROM_LOG" ]]; then
    [[ -f "$FROM_LOG" ]] || die "no such file: $FROM_LOG"
    GUEST_LOG=$FROM_LOG
else
    command -v dotnet >/dev/null || die "dotnet is not on PATH"
    command -v gcc >/dev/null || die "gcc is not on PATH (apt-get install gcc; the C side includes linux/vfio.h from linux-libc-dev)"

    # --- 1. Builds -----------------------------------------------------------------------------------
    # iommufd's uapi header is newer than Debian 12's: the lab's built 7.3 kernel installs its own.
    CINC=()
    if [[ "$BACKEND" == iommufd ]]; then
        headers=$(ls -d "${XDG_CACHE_HOME:-$HOME/.cache}"/vfioctl/lab/kernels/linux-7.3-*/usr/include 2>/dev/null | tail -1)
        [[ -n "$headers" ]] || die "no 7.3 uapi headers: build the lab's kernel first (vfioctl lab prepare --kernel 7.3)"
        CINC=(-I "$headers")
    fi
    log "compiling bench/vfio-vs-c/bench.c (gcc -O2 ${CINC[*]})"
    gcc -O2 -Wall -Wextra "${CINC[@]}" -o "$OUT/bench-c" bench/vfio-vs-c/bench.c || die "bench.c does not compile"
    log "publishing bench/vfio-vs-c/Managed (Release) into $OUT/managed"
    rm -rf "$OUT/managed"
    dotnet publish bench/vfio-vs-c/Managed/Managed.csproj -c Release -o "$OUT/managed" -nologo -v q >"$OUT/publish.log" 2>&1 \
        || { grep -E 'error' "$OUT/publish.log" | sort -u | head -5 >&2; die "the managed side does not publish (see $OUT/publish.log)"; }
    log "building src/vfioctl (Debug: runs the lab and binds edu in the guest)"
    dotnet build src/vfioctl/vfioctl.csproj -c Debug -nologo -v q >"$OUT/build-vfioctl.log" 2>&1 \
        || { grep -E 'error' "$OUT/build-vfioctl.log" | sort -u | head -5 >&2; die "src/vfioctl does not build (see $OUT/build-vfioctl.log)"; }
    VFIOCTL=artifacts/bin/vfioctl/debug/vfioctl.dll

    # --- 2. One guest, on a machine as quiet as we can get it -----------------------------------------
    others() { pgrep -c 'qemu-system-x86' 2>/dev/null || true; }
    if ((WAIT_QUIET > 0)) && (($(others) > 0)); then
        log "$(others) other QEMU guest(s) running: waiting up to $WAIT_QUIET s for them to finish"
        waited=0
        while (($(others) > 0 && waited < WAIT_QUIET)); do sleep 10; waited=$((waited + 10)); done
        (($(others) > 0)) && log "still $(others) other guest(s) after $WAIT_QUIET s: starting anyway (expect noise)"
    fi
    LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
    OTHERS_BEFORE=$(others)
    GUEST_LOG=$OUT/guest.log
    log "running one lab guest (basic, kernel $KERNEL, backend $BACKEND)"
    set +e
    dotnet "$VFIOCTL" lab run --topology basic --kernel "$KERNEL" --timeout "$TIMEOUT" -- \
        bash bench/vfio-vs-c/guest.sh --c "$OUT/bench-c" --managed "$OUT/managed/bench-managed" --vfioctl-dll "$VFIOCTL" \
        --rounds "$ROUNDS" --map "$MAPS" --mmio "$READS" --passes "$PASSES" --warmup "$WARMUP" --backend "$BACKEND" \
        2> >(tee "$OUT/lab.err" >&2) | tee "$GUEST_LOG"
    LAB_RC=${PIPESTATUS[0]}
    set -e
    ((LAB_RC == 0)) || log "the lab run exited with status $LAB_RC (see $GUEST_LOG and $OUT/lab.err)"
    printf 'load_before=%s\nother_guests_before=%s\nload_after=%s\n' "$LOAD_BEFORE" "$OTHERS_BEFORE" "$(cut -d' ' -f1-3 /proc/loadavg)" >"$OUT/host.txt"
fi

# --- 3. The table -----------------------------------------------------------------------------------
meta=(--meta "commit=$commit" --meta "gcc=$(gcc -dumpfullversion 2>/dev/null || echo unknown)" --meta "dotnet=$(dotnet --version 2>/dev/null || echo unknown)")
[[ -f "$OUT/host.txt" ]] && while IFS= read -r kv; do meta+=(--meta "$kv"); done <"$OUT/host.txt"
exec python3 bench/vfio-vs-c/report.py --log "$GUEST_LOG" --json "bench/out/vfio-vs-c-$BACKEND.json" --lab-status "$LAB_RC" "${meta[@]}"
