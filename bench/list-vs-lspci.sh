#!/usr/bin/env bash
# Benchmark `vfioctl list --json --root TREE` against `lspci -D -nn -k -v` on the same
# synthetic sysfs tree (bench/SysfsGen). See bench/README.md.
#
# usage: bench/list-vs-lspci.sh [--functions 4096] [--runs 15] [--vfioctl CMD]
#                               [--seed 1] [--tree bench/out/tree] [--regen] [--hyperfine]
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/list-vs-lspci.sh [options]
  --functions N   PCI functions in the synthetic tree (default 4096)
  --runs N        timed runs of each command, alternating (default 15)
  --vfioctl CMD   vfioctl command to measure, e.g. "bench/out/vfioctl/vfioctl" or
                  "dotnet artifacts/bin/vfioctl/release/vfioctl.dll"; default: the native
                  program scripts/publish builds, into bench/out/vfioctl
  --seed N        generator seed (default 1)
  --tree DIR      where the tree goes (default bench/out/tree; a tmpfs such as /dev/shm
                  generates much faster on a busy disk, and reads the same once cached)
  --regen         regenerate the tree even if an identical one exists
  --hyperfine     also print a hyperfine comparison (wall time only)
EOF
}

FUNCTIONS=4096
RUNS=15
SEED=1
VFIOCTL=""
TREE=bench/out/tree
REGEN=0
HYPERFINE=0
while (($#)); do
    case "$1" in
        --functions) FUNCTIONS="$2"; shift 2 ;;
        --runs) RUNS="$2"; shift 2 ;;
        --vfioctl) VFIOCTL="$2"; shift 2 ;;
        --seed) SEED="$2"; shift 2 ;;
        --tree) TREE="$2"; shift 2 ;;
        --regen) REGEN=1; shift ;;
        --hyperfine) HYPERFINE=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "list-vs-lspci: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
[[ "$FUNCTIONS" =~ ^[0-9]+$ && "$RUNS" =~ ^[0-9]+$ && "$SEED" =~ ^[0-9]+$ ]] || { echo "list-vs-lspci: --functions, --runs and --seed take numbers" >&2; exit 2; }
((RUNS >= 1)) || { echo "list-vs-lspci: --runs must be at least 1" >&2; exit 2; }

cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
log() { printf '== %s\n' "$*" >&2; }
die() { printf 'list-vs-lspci: %s\n' "$*" >&2; exit 1; }

# --- 1. Tools ---------------------------------------------------------------------------------
missing=()
command -v lspci >/dev/null || missing+=(pciutils)
[[ -e /usr/share/misc/pci.ids || -e /usr/share/hwdata/pci.ids ]] || missing+=(pci.ids)
command -v python3 >/dev/null || missing+=(python3)
((HYPERFINE)) && ! command -v hyperfine >/dev/null && missing+=(hyperfine)
command -v dotnet >/dev/null || die "dotnet is not on PATH"
if ((${#missing[@]})); then
    if [[ $(id -u) == 0 ]]; then
        log "installing from Debian: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        die "missing tools: ${missing[*]} (run as root to install them, or apt-get install them)"
    fi
fi

# --- 2. The synthetic tree ----------------------------------------------------------------------
gen_hash=$(cat bench/SysfsGen/*.cs bench/SysfsGen/*.csproj | sha256sum | cut -c1-16)
want="functions=$FUNCTIONS seed=$SEED generator=$gen_hash"
stamp="$OUT/$(basename "$TREE").stamp"
GEN_MS="(reused)"
if ((REGEN)) || [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" || ! -d "$TREE/sys" ]]; then
    log "building bench/SysfsGen"
    dotnet build bench/SysfsGen/SysfsGen.csproj -c Release -v q -nologo >"$OUT/sysfsgen-build.log" 2>&1 \
        || { cat "$OUT/sysfsgen-build.log" >&2; die "bench/SysfsGen does not build"; }
    gen_dll=$(find artifacts/bin/SysfsGen -name SysfsGen.dll -path '*release*' | head -1)
    [[ -n "$gen_dll" ]] || die "cannot find the built SysfsGen.dll under artifacts/bin/SysfsGen"
    log "generating $FUNCTIONS functions into $TREE"
    rm -f "$stamp"
    t0=$(date +%s%N)
    dotnet "$gen_dll" "$TREE" --functions "$FUNCTIONS" --seed "$SEED" >&2
    t1=$(date +%s%N)
    GEN_MS=$(((t1 - t0) / 1000000))
    dotnet "$gen_dll" --verify "$TREE" >&2 || die "the generated tree does not verify"
    echo "$want" >"$stamp"
else
    log "reusing $TREE ($want)"
fi

# --- 3. vfioctl ---------------------------------------------------------------------------------
BUILD_MODE="given with --vfioctl"
if [[ -z "$VFIOCTL" ]]; then
    # What users install: the native program (NativeAOT) scripts/publish builds.
    log "publishing src/vfioctl as installed (scripts/publish: native, NativeAOT)"
    if VFIOCTL=$(scripts/publish "$OUT/vfioctl" 2>"$OUT/publish.log"); then
        BUILD_MODE="native (NativeAOT, scripts/publish)"
    else
        grep -E 'error' "$OUT/publish.log" | sort -u | head -5 >&2 || true
        BUILD_MODE="unavailable: scripts/publish failed (see $OUT/publish.log)"
        VFIOCTL=""
    fi
fi
log "vfioctl: ${VFIOCTL:-none} [$BUILD_MODE]"

# --- 4. Validate and measure --------------------------------------------------------------------
export FUNCTIONS RUNS TREE VFIOCTL BUILD_MODE GEN_MS OUT HYPERFINE
exec python3 - <<'PY'
import json, os, re, shlex, statistics, subprocess, sys, time

functions = int(os.environ["FUNCTIONS"])
runs = int(os.environ["RUNS"])
tree = os.environ["TREE"]
out = os.environ["OUT"]
mode = os.environ["BUILD_MODE"]
vf_cmd = os.environ.get("VFIOCTL", "")

lspci = ["lspci", "-A", "linux-sysfs", "-O", f"sysfs.path={tree}/sys/bus/pci", "-D", "-nn", "-k", "-v"]
vfioctl = shlex.split(vf_cmd) + ["list", "--json", "--root", tree] if vf_cmd else None
# Printed on hosts without /lib/modules/$(uname -r) (containers, VMs booted from elsewhere):
# lspci -k then cannot name modules; it has nothing to do with the tree.
KMOD_NOISE = re.compile(r"^lspci: Unable to load libkmod resources")
ADDR = re.compile(r"^[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] ")
problems = []

def capture(cmd, name):
    with open(f"{out}/{name}.out", "wb") as o, open(f"{out}/{name}.err", "wb") as e:
        r = subprocess.run(cmd, stdout=o, stderr=e)
    with open(f"{out}/{name}.out", "rb") as o, open(f"{out}/{name}.err", "rb") as e:
        return r.returncode, o.read(), e.read().decode(errors="replace")

def timed(cmd):
    t0 = time.perf_counter_ns()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    t1 = time.perf_counter_ns()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"list-vs-lspci: {' '.join(cmd)} exited with {p.returncode} during timing")
    return (t1 - t0) / 1e6, ru.ru_maxrss / 1024.0  # ms, MiB

# lspci: same amount of work?
rc, text, err = capture(lspci, "lspci")
lspci_count = sum(1 for l in text.decode(errors="replace").splitlines() if ADDR.match(l))
noise = [l for l in err.splitlines() if l and not KMOD_NOISE.match(l)]
if rc != 0: problems.append(f"lspci exited with {rc}")
if noise: problems.append("lspci stderr: " + " | ".join(noise[:5]))
if lspci_count != functions: problems.append(f"lspci listed {lspci_count} functions, the tree has {functions}")
print(f"lspci: {lspci_count} functions listed, {len(text)} bytes of output", file=sys.stderr)

# vfioctl: valid JSON with every function?
vf_ok = False
if vfioctl:
    rc, text, err = capture(vfioctl, "vfioctl")
    if rc != 0:
        problems.append(f"vfioctl list exited with {rc}: {err.strip()[:300]}")
    else:
        try:
            doc = json.loads(text)
            n = len(doc["devices"])
            print(f"vfioctl: valid JSON, {n} devices, {len(text)} bytes of output", file=sys.stderr)
            if n != functions: problems.append(f"vfioctl listed {n} devices, the tree has {functions}")
            else: vf_ok = True
        except (ValueError, KeyError, TypeError) as e:
            problems.append(f"vfioctl output is not JSON with a 'devices' list: {e}")
else:
    problems.append(f"vfioctl {mode}")

# lspci as given, lspci without the udev hwdb (on hosts without hwdb.bin, lspci retries
# five paths for every name it looks up), and vfioctl.
cmds = {"lspci": lspci, "lspci-nohwdb": lspci[:5] + ["-O", "hwdb.disable=1"] + lspci[5:]}
if vf_ok: cmds["vfioctl"] = vfioctl
for name, cmd in cmds.items():      # warm caches: 2 untimed runs each
    for _ in range(2): timed(cmd)
res = {name: [] for name in cmds}
names = list(cmds)
for i in range(runs):                # alternate the order so neither always runs second
    for name in (names if i % 2 == 0 else names[::-1]):
        res[name].append(timed(cmds[name]))

def stats(name):
    t = [x[0] for x in res[name]]; m = [x[1] for x in res[name]]
    return {"median_ms": statistics.median(t), "min_ms": min(t), "max_ms": max(t), "peak_rss_mb": max(m), "runs": len(t)}

s = {name: stats(name) for name in res}
load = os.getloadavg()
print()
gen = os.environ["GEN_MS"]
gen = f"generated in {gen} ms" if gen.isdigit() else "reused"
print(f"tree: {tree} ({functions} PCI functions, {gen}); runs: {runs} each, alternating, after 2 warm-up runs")
print(f"vfioctl: {vf_cmd or 'n/a'} [{mode}]")
print(f"lspci: {' '.join(lspci)}")
print(f"host: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}" + ("  (busy: expect noise)" if load[0] > 1.0 else ""))
print()
for name in res:
    x = s[name]
    print(f"  {name:12} median {x['median_ms']:8.1f} ms   min {x['min_ms']:8.1f}   max {x['max_ms']:8.1f}   peak RSS {x['peak_rss_mb']:6.1f} MB")
if "vfioctl" in s:
    print(f"  vfioctl/lspci-nohwdb ratio: {s['vfioctl']['median_ms'] / s['lspci-nohwdb']['median_ms']:.2f} (informational; the table uses lspci as given)")
print()
hdr = ["functions", "vfioctl ms", "lspci ms", "ratio", "vfioctl MB", "lspci MB", "ratio<=1.0", "vfioctl<100MB"]
if "vfioctl" in s:
    v, l = s["vfioctl"], s["lspci"]
    ratio = v["median_ms"] / l["median_ms"]
    row = [str(functions), f"{v['median_ms']:.1f}", f"{l['median_ms']:.1f}", f"{ratio:.2f}",
           f"{v['peak_rss_mb']:.1f}", f"{l['peak_rss_mb']:.1f}",
           "PASS" if ratio <= 1.0 else "FAIL", "PASS" if v["peak_rss_mb"] < 100 else "FAIL"]
else:
    l = s["lspci"]
    row = [str(functions), "n/a", f"{l['median_ms']:.1f}", "n/a", "n/a", f"{l['peak_rss_mb']:.1f}", "n/a", "n/a"]
w = [max(len(a), len(b)) for a, b in zip(hdr, row)]
print("| " + " | ".join(h.ljust(n) for h, n in zip(hdr, w)) + " |")
print("|" + "|".join("-" * (n + 2) for n in w) + "|")
print("| " + " | ".join(c.ljust(n) for c, n in zip(row, w)) + " |")

with open(f"{out}/results.json", "w") as f:
    json.dump({"functions": functions, "runs": runs, "tree": tree, "vfioctl": vf_cmd, "build": mode,
               "generation_ms": os.environ["GEN_MS"], "load": load, "stats": s, "problems": problems}, f, indent=2)

if os.environ.get("HYPERFINE") == "1":
    hf = ["hyperfine", "-N", "--warmup", "2", "--runs", str(runs)]
    for name, cmd in cmds.items(): hf += ["-n", name, shlex.join(cmd)]
    print(); sys.stdout.flush()
    subprocess.run(hf, stdout=sys.stdout)

if problems:
    print("\nproblems:", file=sys.stderr)
    for p in problems: print(f"  - {p}", file=sys.stderr)
    sys.exit(1)
PY
