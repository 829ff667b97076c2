#!/usr/bin/env bash
# Bring tsvirt up on this machine and show it answering:
#
#   1. system packages (apt, as root, only when a needed command is missing)
#   2. npm ci (only when node_modules is missing or older than package-lock.json), npm run build
#   3. the five local daemons in session mode under one throw-away root (TSVIRT_ROOT)
#   4. tsvirsh version / uri / hostname, and each daemon's pid as its admin socket reports it
#   5. a real guest: the project's test guest (Debian's kernel + a busybox initramfs, built
#      by tools/scripts/build-test-guest.sh) created with tsvirsh, booted under QEMU (TCG),
#      its console markers shown, then powered off through the ACPI power button
#   6. where everything is and how to use it; then the daemons are stopped (by PID),
#      unless --keep is given
#
#   sudo ./tools/scripts/up.sh [--keep] [--root DIR]
#
#   --keep       leave the daemons running (they still exit after 300 s without clients)
#   --root DIR   use DIR as TSVIRT_ROOT instead of a fresh /tmp/tsvirt-up.XXXX
#                (the TSVIRT_ROOT environment variable does the same)
#
set -euo pipefail
# The node -e scripts below are single-quoted on purpose: ${...} in them is JavaScript.

usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"; }

KEEP=0
ROOT_ARG=""
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1 ;;
    --root) [ $# -ge 2 ] || { echo "up.sh: --root needs a directory" >&2; exit 2; }; ROOT_ARG="$2"; shift ;;
    --root=*) ROOT_ARG="${1#--root=}" ;;
    -h | --help) usage; exit 0 ;;
    *) echo "up.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# A relative root means relative to where the script was started, not to the repo.
ROOT_ARG="${ROOT_ARG:-${TSVIRT_ROOT:-}}"
if [ -n "$ROOT_ARG" ]; then ROOT_ARG="$(realpath -m -- "$ROOT_ARG")"; fi

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO="$(pwd)"

DAEMONS=(virtqemud virtnetworkd virtstoraged virtnodedevd virtsecretd)
PIDS=()
STOP_ON_EXIT=1

say() { printf '\n=== up: %s\n' "$*"; }

# --- stopping what we started, by PID only ----------------------------------------------
stop_daemons() {
  [ "${#PIDS[@]}" -gt 0 ] || return 0
  local pid state _
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do
      state="$(ps -o stat= -p "$pid" 2>/dev/null || true)"
      # gone, or a zombie waiting for us to reap it
      if [ -z "$state" ] || [[ "$state" == Z* ]]; then break; fi
      sleep 0.1
    done
    state="$(ps -o stat= -p "$pid" 2>/dev/null || true)"
    if [ -n "$state" ] && [[ "$state" != Z* ]]; then
      echo "up: pid $pid did not stop within 5 s of SIGTERM: sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}

on_exit() {
  local rc=$?
  # Guests outlive their daemon by design: a guest still up after a failure goes first.
  if [ "${GUEST_STARTED:-0}" = 1 ]; then
    node tools/bin/tsvirsh.js -q -c qemu:///session destroy up-guest >/dev/null 2>&1 || true
  fi
  if [ "$STOP_ON_EXIT" = 1 ] && [ "${#PIDS[@]}" -gt 0 ]; then
    say "stopping the daemons (pids ${PIDS[*]})"
    stop_daemons
    echo "stopped."
  fi
  if [ "$rc" != 0 ] && [ -n "${TSVIRT_ROOT:-}" ] && [ -d "${TSVIRT_ROOT}/log" ]; then
    echo "up: failed (exit $rc); daemon logs are in ${TSVIRT_ROOT}/log" >&2
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. system packages -----------------------------------------------------------------
# The commands the daemons, their tests and the test guest use, with their packages:
# one list, shared with .ci/run.
mapfile -t NEEDED < <(grep -v '^#' tools/scripts/system-packages.txt | grep .)
NEEDED_COMMANDS=()
for entry in "${NEEDED[@]}"; do [[ "${entry%%:*}" == /* ]] || NEEDED_COMMANDS+=("${entry%%:*}"); done
mapfile -t APT_PACKAGES < <(printf '%s\n' "${NEEDED[@]}" | cut -d: -f2 | sort -u)

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

say "system packages"
missing=()
for cmd in "${NEEDED_COMMANDS[@]}"; do have "$cmd" || missing+=("$cmd"); done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "all present: ${NEEDED_COMMANDS[*]}"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "missing: ${missing[*]}; installing ${APT_PACKAGES[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}"
else
  # The spine runs without them; the drivers that need them do not exist yet.
  echo "missing: ${missing[*]} (run as root on Debian/Ubuntu to install ${APT_PACKAGES[*]}); continuing" >&2
fi

# --- 2. dependencies and build ----------------------------------------------------------
say "node dependencies and build"
command -v node >/dev/null 2>&1 || { echo "up: node not found: Node.js >= 20.19 is needed" >&2; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "up: npm not found" >&2; exit 1; }
# shellcheck disable=SC2016
node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`up: Node.js ${process.versions.node} is too old: >= 20.19 is needed`);
    process.exit(1);
  }'
echo "node $(node --version), npm $(npm --version)"
# npm writes node_modules/.package-lock.json on every install: it dates the installed tree.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  echo "node_modules is up to date with package-lock.json: skipping npm ci"
fi
npm run build

# --- 3. the daemons ---------------------------------------------------------------------
if [ -n "$ROOT_ARG" ]; then
  TSVIRT_ROOT="$ROOT_ARG"
  mkdir -p "$TSVIRT_ROOT"
else
  TSVIRT_ROOT="$(mktemp -d /tmp/tsvirt-up.XXXX)"
fi
export TSVIRT_ROOT
mkdir -p "$TSVIRT_ROOT/log"

say "starting ${DAEMONS[*]} in session mode under $TSVIRT_ROOT"
for d in "${DAEMONS[@]}"; do
  node "packages/$d/bin/$d.js" --session --timeout 300 </dev/null >"$TSVIRT_ROOT/log/$d.log" 2>&1 &
  PIDS+=("$!")
done

# Wait until each read-write socket accepts a connection and the pidfile names the process
# we started (and not another daemon already running in this root); give up on one that exits.
# shellcheck disable=SC2016
UP_PIDS="${PIDS[*]}" UP_DAEMONS="${DAEMONS[*]}" node --input-type=module -e '
  import { readFileSync } from "node:fs";
  import { connect } from "node:net";
  import { join } from "node:path";
  const daemons = process.env.UP_DAEMONS.split(" ");
  const pids = process.env.UP_PIDS.split(" ").map(Number);
  const root = process.env.TSVIRT_ROOT;
  const read = (path) => { try { return readFileSync(path, "utf8"); } catch { return ""; } };
  const answers = (path) =>
    new Promise((resolve) => {
      const socket = connect(path);
      socket.once("connect", () => { socket.destroy(); resolve(true); });
      socket.once("error", () => resolve(false));
    });
  const alive = (pid) => {
    const stat = read(`/proc/${pid}/stat`);
    return stat !== "" && !stat.split(") ")[1]?.startsWith("Z");
  };
  const pending = new Set(daemons.keys());
  const deadline = Date.now() + 15_000;
  while (pending.size > 0) {
    for (const i of [...pending]) {
      const d = daemons[i];
      const path = join(root, "run", `${d}-sock`);
      const ours = read(join(root, "run", `${d}.pid`)).trim() === String(pids[i]);
      if (ours && (await answers(path))) { console.log(`${d} (pid ${pids[i]}) answers on ${path}`); pending.delete(i); }
      else if (!alive(pids[i])) {
        console.error(`up: ${d} (pid ${pids[i]}) exited before listening; its log says:`);
        console.error(read(join(root, "log", `${d}.log`)).trimEnd().split("\n").slice(-5).join("\n"));
        process.exit(1);
      }
    }
    if (pending.size > 0 && Date.now() > deadline) {
      console.error(`up: no answer within 15 s from ${[...pending].map((i) => daemons[i]).join(", ")}`);
      process.exit(1);
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 50));
  }'

# --- 4. show them working ---------------------------------------------------------------
TSVIRSH=(node tools/bin/tsvirsh.js)
for cmd in version uri hostname; do
  say "tsvirsh -c qemu:///session $cmd"
  "${TSVIRSH[@]}" -c qemu:///session "$cmd"
done

say "each daemon, as its admin socket reports it"
# shellcheck disable=SC2016
UP_PIDS="${PIDS[*]}" UP_DAEMONS="${DAEMONS[*]}" node --input-type=module -e '
  import { AdminConnection } from "@tsvirt/client";
  const daemons = process.env.UP_DAEMONS.split(" ");
  const pids = process.env.UP_PIDS.split(" ").map(Number);
  const rows = [["daemon", "pid", "socket"]];
  let mismatch = false;
  for (const [i, daemon] of daemons.entries()) {
    const admin = await AdminConnection.open(daemon, "qemu:///session");
    try {
      const info = await admin.getServerInfo();
      rows.push([daemon, String(info.pid), `${info.runDir}/${daemon}-sock`]);
      if (info.pid !== pids[i]) {
        console.error(`up: ${daemon} reports pid ${info.pid}, but up.sh started pid ${pids[i]}`);
        mismatch = true;
      }
    } finally {
      admin.close();
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd());
  if (mismatch) process.exit(1);'

# --- 5. a real guest ------------------------------------------------------------------
say "the test guest: Debian's cloud kernel and a busybox initramfs (built once, then cached)"
bash tools/scripts/build-test-guest.sh "$REPO/build/test-guest"
GUEST_XML="$TSVIRT_ROOT/up-guest.xml"
SERIAL_LOG="$TSVIRT_ROOT/up-guest-serial.log"
cat >"$GUEST_XML" <<EOF
<domain type='qemu'>
  <name>up-guest</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$REPO/build/test-guest/vmlinuz</kernel>
    <initrd>$REPO/build/test-guest/initrd.img</initrd>
    <cmdline>console=ttyS0 panic=-1</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    <serial type='file'><source path='$SERIAL_LOG'/></serial>
  </devices>
</domain>
EOF
say "tsvirsh create $GUEST_XML (a transient domain, booted under TCG)"
GUEST_STARTED=1
"${TSVIRSH[@]}" -c qemu:///session create "$GUEST_XML"
"${TSVIRSH[@]}" -q -c qemu:///session list
say "waiting for the guest's console to say it is ready (up to 60 s)"
for _ in $(seq 1 600); do
  grep -q 'TSVIRT-GUEST-READY' "$SERIAL_LOG" 2>/dev/null && break
  sleep 0.1
done
grep -a 'TSVIRT-' "$SERIAL_LOG" || true
grep -q 'TSVIRT-GUEST-READY' "$SERIAL_LOG" ||
  { echo "up: the guest did not become ready; console in $SERIAL_LOG" >&2; exit 1; }
say "tsvirsh shutdown up-guest (the ACPI power button; the guest powers itself off)"
"${TSVIRSH[@]}" -c qemu:///session shutdown up-guest
for _ in $(seq 1 300); do
  "${TSVIRSH[@]}" -q -c qemu:///session domstate up-guest >/dev/null 2>&1 || break
  sleep 0.1
done
if "${TSVIRSH[@]}" -q -c qemu:///session domstate up-guest >/dev/null 2>&1; then
  echo "up: the guest did not power off within 30 s" >&2
  exit 1
fi
GUEST_STARTED=0
echo "the guest powered off; a transient domain is gone once it stops:"
"${TSVIRSH[@]}" -q -c qemu:///session list --all

# --- 6. where things are ----------------------------------------------------------------
if [ -x node_modules/.bin/tsvirsh ]; then
  USE="npx tsvirsh"
  USE_NOTE="(npx finds tsvirsh from inside $REPO)"
else
  USE="node $REPO/tools/bin/tsvirsh.js"
  USE_NOTE="(npx tsvirsh works once npm ci has linked the workspace bins)"
fi
say "tsvirt is up"
cat <<EOF
root:     $TSVIRT_ROOT  (TSVIRT_ROOT: every path below lives under it)
sockets:  $TSVIRT_ROOT/run/<daemon>-sock, <daemon>-sock-ro, <daemon>-admin-sock
logs:     $TSVIRT_ROOT/log/<daemon>.log
config:   $TSVIRT_ROOT/etc/<daemon>.conf  (absent: built-in defaults)
state:    $TSVIRT_ROOT/lib/<daemon>/

Use it:
  TSVIRT_ROOT=$TSVIRT_ROOT $USE -c qemu:///session
  TSVIRT_ROOT=$TSVIRT_ROOT $USE -c network:///session uri
  $USE_NOTE
A session daemon that is not running is started by the client on first use,
and exits after 120 s without clients.
EOF

if [ "$KEEP" = 1 ]; then
  STOP_ON_EXIT=0
  cat <<EOF

--keep: the daemons stay running (each exits by itself after 300 s without clients).
  pids:  ${PIDS[*]}
  stop:  kill ${PIDS[*]}
EOF
fi
