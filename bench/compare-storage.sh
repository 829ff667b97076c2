#!/usr/bin/env bash
# Storage workloads of issue 4 (volumes: create/list/delete 1000 small volumes in a dir
# pool; transfer: upload and download of a 1 GiB sparse-ish image) against real libvirt
# (bench/storage-libvirt.py and virsh, on a private libvirtd through
# ../shared/bench-libvirt/isolated.sh), tsvirt (bench/storage.mjs: a private virtstoraged
# per workload) and plain cp (the physical limit), back to back on the same machine, REPS
# times each. The image is made once per run. Raw JSON lines go to
# bench/results/storage-<stamp>.jsonl; medians, ratios and issue 4's targets are printed
# at the end (bench/summarize-storage.py FILE prints them again).
#   usage: bench/compare-storage.sh [REPS]     (root; installs libvirt through setup.sh)
#   SKIP_LIBVIRT=1 / SKIP_TSVIRT=1 / SKIP_CP=1 run fewer sides; N=1000 volumes.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
LIBVIRT_BENCH="${LIBVIRT_BENCH:-$REPO/../shared/bench-libvirt}"
REPS="${1:-3}"
N="${N:-1000}"
OUT="$HERE/results/storage-$(date +%Y%m%d-%H%M%S).jsonl"
mkdir -p "$HERE/results"
WORK="$(mktemp -d /tmp/tsv-storage-bench-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
SOURCE="$WORK/source.img"

# shellcheck source=libvirt-side.sh
. "$HERE/libvirt-side.sh"

echo "== the image: 1 GiB, 256 x 1 MiB random extents every 4 MiB, holes elsewhere" >&2
node "$HERE/storage.mjs" make-source "$SOURCE"

for rep in $(seq 1 "$REPS"); do
  if [ -z "${SKIP_LIBVIRT:-}" ]; then
    echo "== rep $rep/$REPS: libvirt (volumes x$N, transfer: virsh vol-upload/vol-download, plain and --sparse)" >&2
    "$LIBVIRT_BENCH/isolated.sh" bash -c \
      "'$HERE/storage-libvirt.py' volumes --n $N; '$HERE/storage-libvirt.py' transfer --source '$SOURCE'" |
      tag libvirt >>"$OUT"
  fi
  if [ -z "${SKIP_TSVIRT:-}" ]; then
    echo "== rep $rep/$REPS: tsvirt (volumes x$N, transfer: client helpers and tsvirsh, plain and --sparse)" >&2
    { node "$HERE/storage.mjs" volumes --n "$N"; node "$HERE/storage.mjs" transfer --source "$SOURCE"; } | tag tsvirt >>"$OUT"
  fi
  if [ -z "${SKIP_CP:-}" ]; then
    echo "== rep $rep/$REPS: cp (default, --sparse=always, --sparse=never)" >&2
    node "$HERE/storage.mjs" cp --source "$SOURCE" | tag cp >>"$OUT"
  fi
done

python3 "$HERE/summarize-storage.py" "$OUT"
