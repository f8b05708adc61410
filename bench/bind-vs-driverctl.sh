#!/usr/bin/env bash
# Bind 64 NVMe VFs to vfio-pci and restore them with plain sysfs writes, with driverctl
# (`driverctl --nosave set-override` per device) and with vfioctl, in ONE lab guest
# (`vfioctl lab run --topology sriov`), and compare per-device costs. See bench/README.md.
#
# usage: bench/bind-vs-driverctl.sh [--rounds 5] [--numvfs 64] [--kernel 6.12] [--timeout 3000]
#                                   [--wait-quiet 900] [--no-jit] [--from-log FILE]
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: bench/bind-vs-driverctl.sh [options]
  --rounds N        rounds in the guest, method order alternating (default 5)
  --numvfs N        VFs to create on 0000:01:00.0 and bind (default 64, at most 64)
  --kernel K        lab kernel, 6.12 or 6.1 (default 6.12)
  --cpu MODEL       the guest's QEMU CPU model (default max: SSE4.2 and AVX2, as every host with an
                    IOMMU has; 'default' for QEMU's qemu64, which lacks SSSE3 and SSE4 and makes
                    .NET set aside part of its precompiled code; see bench/README.md)
  --timeout S       lab timeout in seconds, boot included (default 3000)
  --wait-quiet S    wait up to S seconds for other QEMU guests on this machine to finish before
                    booting (default 900; 0: do not wait). Other guests share the CPUs and make
                    every figure noisy; the run records how much of it overlapped with them.
  --no-jit          do not also measure a plain (non-ReadyToRun) Release build of vfioctl
  --from-log F      run nothing: re-read a guest log saved by an earlier run and print the table
Writes bench/out/bind-vfs/guest.log (the guest's output), bench/out/bind-vfs/host-load.txt
and bench/out/bind-vs-driverctl.json.
USAGE
}

ROUNDS=5
NUMVFS=64
KERNEL=6.12
CPU=max
TIMEOUT=3000
WAIT_QUIET=900
JIT=1
FROM_LOG=""
while (($#)); do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --numvfs) NUMVFS="$2"; shift 2 ;;
        --kernel) KERNEL="$2"; shift 2 ;;
        --cpu) CPU="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --wait-quiet) WAIT_QUIET="$2"; shift 2 ;;
        --no-jit) JIT=0; shift ;;
        --from-log) FROM_LOG="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bind-vs-driverctl: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
for v in "$ROUNDS" "$NUMVFS" "$TIMEOUT" "$WAIT_QUIET"; do
    [[ "$v" =~ ^[0-9]+$ ]] || { echo "bind-vs-driverctl: --rounds, --numvfs, --timeout and --wait-quiet take numbers" >&2; exit 2; }
done
((ROUNDS >= 1 && NUMVFS >= 2 && NUMVFS <= 64)) || { echo "bind-vs-driverctl: --rounds >= 1 and 2 <= --numvfs <= 64" >&2; exit 2; }

cd "$(dirname "$0")/.."
OUT=bench/out/bind-vfs
mkdir -p "$OUT"
log() { printf '== %s\n' "$*" >&2; }
die() { printf 'bind-vs-driverctl: %s\n' "$*" >&2; exit 1; }
command -v python3 >/dev/null || die "python3 is not on PATH"

BUILDS=$OUT/builds.txt        # what was measured, for --from-log
LAB_RC=0
if [[ -n "$FROM_LOG" ]]; then
    [[ -f "$FROM_LOG" ]] || die "no such file: $FROM_LOG"
    GUEST_LOG=$FROM_LOG
else
    # --- 1. Tools (the guest sees the host's root file system: host-installed tools are there) ---
    command -v dotnet >/dev/null || die "dotnet is not on PATH"
    missing=()
    command -v driverctl >/dev/null || missing+=(driverctl)
    command -v strace >/dev/null || missing+=(strace)      # counts the programs one driverctl call runs
    if ((${#missing[@]})); then
        [[ $(id -u) == 0 ]] || die "missing tools: ${missing[*]} (run as root to install them, or apt-get install them)"
        log "installing from Debian: ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        }
    fi

    # --- 2. Builds: Debug runs the lab; the native build (and a plain JIT one) are measured ----------
    log "building src/vfioctl (Debug: runs the lab)"
    dotnet build src/vfioctl/vfioctl.csproj -c Debug -nologo -v q >"$OUT/build-debug.log" 2>&1 \
        || { grep -E 'error' "$OUT/build-debug.log" | sort -u | head -5 >&2; die "src/vfioctl does not build (see $OUT/build-debug.log)"; }
    LAB=(dotnet artifacts/bin/vfioctl/debug/vfioctl.dll)
    [[ -f artifacts/bin/vfioctl/debug/vfioctl.dll ]] || die "artifacts/bin/vfioctl/debug/vfioctl.dll is missing after the build"

    publish() {   # publish PROJECT DIR R2R(true|false) LOG
        rm -rf "$2"
        dotnet publish "$1" -c Release -r linux-x64 --self-contained false -p:PublishAot=false -p:PublishReadyToRun="$3" \
            -o "$2" -nologo -v q >"$4" 2>&1
    }
    R2R_DIR=$OUT/vfioctl
    log "publishing vfioctl as installed (scripts/publish: native, NativeAOT) into $R2R_DIR"
    if scripts/publish "$R2R_DIR" >"$OUT/publish-r2r.log" 2>&1; then
        R2R_MODE="native, NativeAOT (scripts/publish)"
    else
        grep -E 'error' "$OUT/publish-r2r.log" | sort -u | head -5 >&2 || true
        log "scripts/publish failed; falling back to a plain Release publish (JIT at startup)"
        publish src/vfioctl/vfioctl.csproj "$R2R_DIR" false "$OUT/publish.log" || die "src/vfioctl does not publish (see $OUT/publish.log)"
        R2R_MODE="Release, plain (scripts/publish failed: JIT at startup)"
        JIT=0
    fi
    GUEST_ARGS=(--vfioctl "$R2R_DIR/vfioctl" --rounds "$ROUNDS" --numvfs "$NUMVFS")
    JIT_MODE="not measured"
    if ((JIT)); then
        log "publishing src/vfioctl (Release, no ReadyToRun) into $OUT/vfioctl-jit"
        if publish src/vfioctl/vfioctl.csproj "$OUT/vfioctl-jit" false "$OUT/publish-jit.log"; then
            JIT_MODE="Release, plain (linux-x64, framework-dependent, JIT at startup)"
            GUEST_ARGS+=(--vfioctl-jit "$OUT/vfioctl-jit/vfioctl")
        else
            log "plain publish failed (see $OUT/publish-jit.log): measuring the ReadyToRun build only"
            JIT_MODE="publish failed"
        fi
    fi
    log "publishing bench/bind-vfs/probe (start-up floor and micro-timings; Release, ReadyToRun) into $OUT/probe"
    if publish bench/bind-vfs/probe/probe.csproj "$OUT/probe" true "$OUT/publish-probe.log"; then
        GUEST_ARGS+=(--probe "$OUT/probe/probe")
    else
        log "the probe does not publish (see $OUT/publish-probe.log): no start-up floor or micro-timings"
    fi
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    git diff --quiet HEAD -- src 2>/dev/null || commit+=" (src/ has uncommitted changes)"
    printf 'vfioctl=%s\nvfioctl-jit=%s\ncommit=%s\n' "$R2R_MODE" "$JIT_MODE" "$commit" >"$BUILDS"

    # --- 3. One guest, on a machine as quiet as we can get it ----------------------------------------
    others() { pgrep -c 'qemu-system-x86' 2>/dev/null || true; }
    if ((WAIT_QUIET > 0)) && (($(others) > 0)); then
        log "$(others) other QEMU guest(s) running: waiting up to $WAIT_QUIET s for them to finish"
        waited=0
        while (($(others) > 0 && waited < WAIT_QUIET)); do sleep 10; waited=$((waited + 10)); done
        (($(others) > 0)) && log "still $(others) other guest(s) after $WAIT_QUIET s: starting anyway (expect noise)"
    fi
    # Every 5 s: time, 1-minute load average, QEMU processes (ours included).
    LOAD=$OUT/host-load.txt
    : >"$LOAD"
    ( while sleep 5; do echo "$(date +%s) $(cut -d' ' -f1 /proc/loadavg) $(others)"; done >>"$LOAD" ) &
    SAMPLER=$!
    trap 'kill $SAMPLER 2>/dev/null || true' EXIT

    GUEST_LOG=$OUT/guest.log
    log "running one lab guest (sriov, kernel $KERNEL): bash bench/bind-vfs/guest.sh ${GUEST_ARGS[*]}"
    set +e
    CPU_ARGS=(); [[ "$CPU" == default ]] || CPU_ARGS=(--cpu "$CPU")
    "${LAB[@]}" lab run --topology sriov --kernel "$KERNEL" "${CPU_ARGS[@]}" --timeout "$TIMEOUT" -- \
        bash bench/bind-vfs/guest.sh "${GUEST_ARGS[@]}" 2> >(tee "$OUT/lab.err" >&2) | tee "$GUEST_LOG"
    LAB_RC=${PIPESTATUS[0]}
    set -e
    kill $SAMPLER 2>/dev/null || true
    ((LAB_RC == 0)) || log "the lab run exited with status $LAB_RC (see $GUEST_LOG and $OUT/lab.err)"
fi

# --- 4. The table ---------------------------------------------------------------------------------
LOAD_FILE=$(dirname "$GUEST_LOG")/host-load.txt
exec python3 bench/bind-vfs/report.py --log "$GUEST_LOG" --builds "$BUILDS" --load "$LOAD_FILE" \
    --json bench/out/bind-vs-driverctl.json --lab-status "$LAB_RC"
