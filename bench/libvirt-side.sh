# Sourced by the compare-*.sh scripts: makes sure libvirt is installed for the private
# libvirtds they measure (unless SKIP_LIBVIRT is set), and defines `tag IMPL`, which keeps
# the JSON lines of a side's output, each tagged with that side.

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
  # setup.sh starts the shared libvirtd if none ran; the private ones are what we
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
