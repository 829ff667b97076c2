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

# shellcheck source=libvirt-side.sh
. "$HERE/libvirt-side.sh"

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
