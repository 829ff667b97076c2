#!/usr/bin/env bash
# Domain workloads (define_scale, lifecycle kvm and qemu, events, daemon_start) against
# real libvirt (../shared/bench-libvirt: a private libvirtd per repetition, through
# isolated.sh) and tsvirt (bench/domain.mjs: a private virtqemud per workload), back to
# back on the same machine, REPS times each. Raw JSON lines go to
# bench/results/domain-<stamp>.jsonl; the medians, ratios and issue 3's targets are
# printed at the end (bench/summarize-domain.py FILE prints them again).
#   usage: bench/compare-domain.sh [REPS]     (root; installs libvirt through setup.sh)
#   SKIP_LIBVIRT=1 / SKIP_TSVIRT=1 run one side only.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
LIBVIRT_BENCH="${LIBVIRT_BENCH:-$REPO/../shared/bench-libvirt}"
B="$LIBVIRT_BENCH/bench.py"
REPS="${1:-3}"
OUT="$HERE/results/domain-$(date +%Y%m%d-%H%M%S).jsonl"
mkdir -p "$HERE/results"

# The pid of a live libvirtd named by /run/libvirtd.pid (the shared one setup.sh manages), or nothing.
shared_libvirtd() {
  local pid
  pid="$(cat /run/libvirtd.pid 2>/dev/null || true)"
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 0
  grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null && return 0
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = libvirtd ] && echo "$pid"
  return 0
}

if [ -z "${SKIP_LIBVIRT:-}" ]; then
  before="$(shared_libvirtd)"
  bash "$LIBVIRT_BENCH/setup.sh" >&2
  # setup.sh starts the shared libvirtd if none ran; the private ones below are what we
  # measure. Stop it only if it is the one setup.sh just started.
  after="$(shared_libvirtd)"
  if [ -n "$after" ] && [ "$after" != "$before" ]; then
    kill -TERM "$after"
    for _ in $(seq 1 300); do [ -n "$(shared_libvirtd)" ] || break; sleep 0.1; done
  fi
fi

tag() { # IMPL: keep the JSON lines, each tagged with the side that produced it
  python3 -c 'import sys,json
for line in sys.stdin:
    line=line.strip()
    if not line.startswith("{"): continue
    d=json.loads(line); d["impl_tag"]=sys.argv[1]; print(json.dumps(d), flush=True)' "$1"
}

for rep in $(seq 1 "$REPS"); do
  if [ -z "${SKIP_LIBVIRT:-}" ]; then
    echo "== rep $rep/$REPS: libvirt (define_scale, lifecycle kvm, lifecycle qemu, events)" >&2
    "$LIBVIRT_BENCH/isolated.sh" bash -c "$B define_scale; $B lifecycle --type kvm; $B lifecycle --type qemu; $B events --type kvm" |
      tag libvirt >>"$OUT"
    echo "== rep $rep/$REPS: libvirt daemon_start" >&2
    "$LIBVIRT_BENCH/isolated.sh" --no-daemon "$B" daemon_start --runs 5 | tag libvirt >>"$OUT"
  fi
  if [ -z "${SKIP_TSVIRT:-}" ]; then
    echo "== rep $rep/$REPS: tsvirt (define_scale, lifecycle kvm, lifecycle qemu, events, daemon_start)" >&2
    node "$HERE/domain.mjs" all | tag tsvirt >>"$OUT"
  fi
done

python3 "$HERE/summarize-domain.py" "$OUT"
