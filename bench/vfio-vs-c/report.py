#!/usr/bin/env python3
"""Reads the records bench/vfio-vs-c/guest.sh printed and prints the table of bench/vfio-vs-c.sh."""
import argparse, json, statistics, sys

TARGETS = {"map_unmap": 0.9, "mmio_read32": 0.8}
NAMES = {"map_unmap": "4 KiB DMA map + unmap pairs", "mmio_read32": "32-bit MMIO reads"}
IOMMUFD_NAMES = {"map_unmap": "4 KiB IOAS map + unmap pairs (iommufd)"}

ap = argparse.ArgumentParser()
ap.add_argument("--log", required=True)
ap.add_argument("--json", required=True)
ap.add_argument("--lab-status", type=int, default=0)
ap.add_argument("--meta", action="append", default=[], help="key=value added to the JSON")
a = ap.parse_args()

inside, info, results = False, {}, []
for line in open(a.log, errors="replace"):
    line = line.strip()
    if line == "@@vfio-vs-c:begin@@": inside = True; continue
    if line == "@@vfio-vs-c:end@@": inside = False; continue
    if not inside or " " not in line: continue
    kind, rest = line.split(" ", 1)
    fields = dict(kv.split("=", 1) for kv in rest.split() if "=" in kv)
    if kind == "INFO": info.update({(f"{fields['side']}_{k}" if "side" in fields and k != "side" else k): v for k, v in fields.items() if k not in ("round", "side")})
    elif kind == "RESULT": results.append(fields)
if not results:
    sys.exit(f"vfio-vs-c: no results in {a.log} (lab status {a.lab_status})")

rows, ok_all = [], True
for what in ("map_unmap", "mmio_read32"):
    per = {}
    for side in ("c", "managed"):
        rates = [int(r["ops"]) * 1e9 / int(r["ns"]) for r in results if r["side"] == side and r["what"] == what]
        per[side] = rates
    if not per["c"] or not per["managed"]:
        sys.exit(f"vfio-vs-c: missing {what} results for one side")
    c, m = statistics.median(per["c"]), statistics.median(per["managed"])
    # The ratio per round (same round = same conditions), and its median, alongside the ratio of medians.
    rounds = sorted({r["round"] for r in results})
    per_round = []
    for rd in rounds:
        rc = [int(r["ops"]) * 1e9 / int(r["ns"]) for r in results if r["side"] == "c" and r["what"] == what and r["round"] == rd]
        rm = [int(r["ops"]) * 1e9 / int(r["ns"]) for r in results if r["side"] == "managed" and r["what"] == what and r["round"] == rd]
        if rc and rm: per_round.append(statistics.median(rm) / statistics.median(rc))
    ratio = m / c
    ok = ratio >= TARGETS[what]
    ok_all &= ok
    name = IOMMUFD_NAMES.get(what, NAMES[what]) if info.get("backend") == "iommufd" else NAMES[what]
    rows.append({"operation": what, "description": name, "c_ops_per_s": round(c), "managed_ops_per_s": round(m),
                 "ratio": round(ratio, 3), "ratio_per_round_median": round(statistics.median(per_round), 3), "target": TARGETS[what], "pass": ok,
                 "c_min": round(min(per["c"])), "c_max": round(max(per["c"])), "managed_min": round(min(per["managed"])), "managed_max": round(max(per["managed"])),
                 "samples_per_side": len(per["c"])})

print()
print(f"Vfio.Userspace against C, {info.get('backend', 'container')} backend, one lab guest ({info.get('kernel', '?')}, {info.get('cpus', '?')} vCPUs, TCG), device {info.get('device', '?')}")
print(f"{info.get('rounds', '?')} rounds alternating C and C#, each {info.get('passes', '?')} timed passes after {info.get('warmup', '?')} warm-up; medians over all passes")
print()
print("| operation | C ops/s | C# ops/s | ratio C#/C | target | result |")
print("|---|---:|---:|---:|---:|---|")
for r in rows:
    print(f"| {r['description']} | {r['c_ops_per_s']:,} | {r['managed_ops_per_s']:,} | {r['ratio']:.2f} | {r['target']:.1f} | {'pass' if r['pass'] else 'FAIL'} |")
print()
for r in rows:
    print(f"{r['operation']}: C {r['c_min']:,}-{r['c_max']:,} ops/s, C# {r['managed_min']:,}-{r['managed_max']:,} ops/s over {r['samples_per_side']} passes each; median of per-round ratios {r['ratio_per_round_median']:.2f}")
meta = dict(kv.split("=", 1) for kv in a.meta)
json.dump({"guest": info, "rows": rows, "lab_status": a.lab_status, **meta}, open(a.json, "w"), indent=2)
print(f"\nwrote {a.json}")
sys.exit(0 if ok_all and a.lab_status == 0 else 1)
