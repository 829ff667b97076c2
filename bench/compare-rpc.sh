#!/usr/bin/env bash
# rpc_seq and rpc_concurrent against real libvirt (../shared/bench-libvirt) and tsvirt,
# back to back on the same machine, REPS times each, in two placements:
#   default  the scheduler places daemon and clients as it likes
#   cpu0     everything pinned to CPU 0 (taskset), so each hand-off is a local
#            context switch instead of a cross-CPU wakeup
# Raw JSON lines go to bench/results/rpc-<stamp>.jsonl; medians are printed at the end.
#   usage: bench/compare-rpc.sh [REPS]     (root; installs libvirt through setup.sh)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
LIBVIRT_BENCH="${LIBVIRT_BENCH:-$REPO/../shared/bench-libvirt}"
REPS="${1:-3}"
OUT="$HERE/results/rpc-$(date +%Y%m%d-%H%M%S).jsonl"
mkdir -p "$HERE/results"

bash "$LIBVIRT_BENCH/setup.sh" >&2
# setup.sh leaves a shared libvirtd running; the private ones below are what we measure.
if [ -f /run/libvirtd.pid ]; then kill "$(cat /run/libvirtd.pid)" 2>/dev/null || true; fi

tag() { # PLACEMENT IMPL: prefix each JSON line with where and what it ran
  python3 -c 'import sys,json
for line in sys.stdin:
    line=line.strip()
    if not line.startswith("{"): continue
    d=json.loads(line); d["placement"]=sys.argv[1]; d["impl_tag"]=sys.argv[2]; print(json.dumps(d))' "$1" "$2"
}

for rep in $(seq 1 "$REPS"); do
  for placement in default cpu0; do
    pin=(); [ "$placement" = cpu0 ] && pin=(taskset -c 0)
    echo "== rep $rep, $placement: libvirt" >&2
    "${pin[@]}" "$LIBVIRT_BENCH/isolated.sh" bash -c "$LIBVIRT_BENCH/bench.py rpc_seq; $LIBVIRT_BENCH/bench.py rpc_concurrent" | tag "$placement" libvirt >> "$OUT"
    echo "== rep $rep, $placement: tsvirt" >&2
    "${pin[@]}" node "$HERE/rpc.mjs" all | tag "$placement" tsvirt >> "$OUT"
  done
done

python3 - "$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(xs): return round(statistics.median(xs), 1) if xs else None
table = {}
def add(placement, impl, workload, call, calls_per_s, p50, p99):
    table.setdefault((placement, workload, call, impl), []).append((calls_per_s, p50, p99))
for r in rows:
    p, impl = r["placement"], r["impl_tag"]
    if impl == "libvirt":
        res = r["results"]
        if r["workload"] == "rpc_seq":
            for call in ("getVersion", "listAllDomains"):
                add(p, impl, "rpc_seq", call, res[call]["calls_per_s"], res[call]["p50_us"], res[call]["p99_us"])
        else:
            add(p, impl, "rpc_concurrent", "listAllDomains", res["calls_per_s"], res.get("p50_us"), res.get("p99_us"))
    else:
        add(p, impl, r["workload"], r["call"], r["calls_per_s"], r["p50_us"], r["p99_us"])
print(f"{'placement':9} {'workload':15} {'call':15} {'impl':8} {'calls/s':>9} {'p50 us':>8} {'p99 us':>8}")
for key in sorted(table):
    vals = table[key]
    print(f"{key[0]:9} {key[1]:15} {key[2]:15} {key[3]:8} {med([v[0] for v in vals]):>9} {med([v[1] for v in vals]):>8} {med([v[2] for v in vals]):>8}")
print("raw:", sys.argv[1])
PY
