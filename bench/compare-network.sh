#!/usr/bin/env bash
# Network workloads of issue 5 (lifecycle: net-start / net-destroy latency of a NAT network
# with DHCP, 20 cycles; scale: 100 NAT networks defined and started, then destroyed and
# undefined, with daemon RSS) against real libvirt (bench/network-libvirt.py on a private
# libvirtd through ../shared/bench-libvirt/isolated.sh) and tsvirt (bench/network.mjs: a
# private virtnetworkd --session per workload), back to back on the same machine, REPS
# times each. Raw JSON lines go to bench/results/network-<stamp>.jsonl; medians, ratios and
# issue 5's target are printed at the end (bench/summarize-network.py FILE prints them again).
#
# Starting a network creates bridges, dnsmasqs and firewall rules and writes ip_forward,
# all per network namespace: each side of each repetition runs entirely (daemon, client,
# dnsmasqs) inside a fresh namespace tsv-bench-net-* made here, deleted at the end. Any
# process still in it when its side is done is reported and killed by PID (and fails the
# run). The host's links, routes, nftables ruleset, iptables rules and forwarding sysctls
# are snapshotted before and compared after: any difference fails the run loudly.
#   usage: bench/compare-network.sh [REPS]     (root; installs libvirt through setup.sh)
#   SKIP_LIBVIRT=1 / SKIP_TSVIRT=1 run one side only; CYCLES=20, N=100.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
LIBVIRT_BENCH="${LIBVIRT_BENCH:-$REPO/../shared/bench-libvirt}"
REPS="${1:-3}"
CYCLES="${CYCLES:-20}"
N="${N:-100}"
OUT="$HERE/results/network-$(date +%Y%m%d-%H%M%S).jsonl"
mkdir -p "$HERE/results"
WORK="$(mktemp -d /tmp/tsv-network-bench-XXXXXX)"
# a private libvirtd state dir of our own: isolated.sh's default is shared with other users
export BENCH_ISO_DIR="$WORK/libvirt-iso"
NS_PREFIX="tsv-bench-net-$$"
FAILED=0

host_state() { # what a network start could change on the host, without counters or timestamps
  echo "## links"; ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
  echo "## routes"; { ip route show table all; ip -6 route show table all; } | sed -E 's/ expires [0-9]+sec//'
  echo "## nft"; nft list ruleset | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'
  echo "## iptables"; iptables-save | sed -E -e '/^#/d' -e 's/\[[0-9]+:[0-9]+\]/[-]/'
  echo "## ip6tables"; ip6tables-save | sed -E -e '/^#/d' -e 's/\[[0-9]+:[0-9]+\]/[-]/'
  echo "## sysctl"; sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding
}

# Every process still in namespace $1: reported, SIGTERM then SIGKILL by PID. Returns 1 if any.
kill_leftovers() {
  local ns="$1" pids
  pids="$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
  [ -n "${pids// /}" ] || return 0
  echo "!! processes left in $ns: $(for p in $pids; do printf '%s(%s) ' "$p" "$(cat "/proc/$p/comm" 2>/dev/null)"; done)" >&2
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  sleep 1
  pids="$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
  # shellcheck disable=SC2086
  [ -z "${pids// /}" ] || kill -KILL $pids 2>/dev/null || true
  return 1
}

drop_namespace() {
  local ns="$1"
  ip netns list | grep -q "^$ns\b" || return 0
  kill_leftovers "$ns" || FAILED=1
  ip netns del "$ns"
}

# On any exit: namespaces dropped (leftovers killed), the host compared with its snapshot.
finish() {
  local rc=$? ns
  set +e
  for ns in $(ip netns list | awk '{print $1}' | grep "^$NS_PREFIX-" || true); do drop_namespace "$ns"; done
  if [ -f "$WORK/host-before" ]; then
    host_state >"$WORK/host-after"
    if ! diff -u "$WORK/host-before" "$WORK/host-after" >&2; then
      echo "!! the host's network state changed during the run (diff above): links, routes, firewall or forwarding" >&2
      FAILED=1
    fi
  fi
  rm -rf "$WORK"
  if [ "$FAILED" != 0 ] || [ "$rc" != 0 ]; then
    echo "!! FAILED (exit $rc): see the messages above" >&2
    exit 1
  fi
  echo "host links, routes, nftables, iptables and forwarding unchanged; no process left in the benchmark's namespaces" >&2
}
trap finish EXIT

# Runs "$@" inside namespace $1, made fresh here (lo up); drop_namespace removes it afterwards.
in_namespace() {
  local ns="$1"
  shift
  ip netns add "$ns"
  ip netns exec "$ns" ip link set dev lo up
  ip netns exec "$ns" "$@"
}

host_state >"$WORK/host-before"

# shellcheck source=libvirt-side.sh
. "$HERE/libvirt-side.sh"

for rep in $(seq 1 "$REPS"); do
  if [ -z "${SKIP_LIBVIRT:-}" ]; then
    echo "== rep $rep/$REPS: libvirt (lifecycle x$CYCLES, scale x$N) in its own network namespace" >&2
    ns="$NS_PREFIX-lv$rep"
    in_namespace "$ns" "$LIBVIRT_BENCH/isolated.sh" bash -c \
      "'$HERE/network-libvirt.py' lifecycle --cycles $CYCLES && '$HERE/network-libvirt.py' scale --n $N" |
      tag libvirt >>"$OUT"
    drop_namespace "$ns"
  fi
  if [ -z "${SKIP_TSVIRT:-}" ]; then
    echo "== rep $rep/$REPS: tsvirt (lifecycle x$CYCLES, scale x$N) in its own network namespace" >&2
    ns="$NS_PREFIX-ts$rep"
    in_namespace "$ns" bash -c \
      "node '$HERE/network.mjs' lifecycle --cycles $CYCLES && node '$HERE/network.mjs' scale --n $N" |
      tag tsvirt >>"$OUT"
    drop_namespace "$ns"
  fi
done

python3 "$HERE/summarize-network.py" "$OUT"
