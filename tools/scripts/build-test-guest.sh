#!/usr/bin/env bash
# Build the tsvirt test guest (kernel + busybox initramfs) from Debian packages.
#
# Usage: tools/scripts/build-test-guest.sh [OUTDIR]
#   OUTDIR defaults to <repo>/build/test-guest.
#   Produces OUTDIR/vmlinuz, OUTDIR/initrd.img, OUTDIR/kernel-version and
#   OUTDIR/stamp.  If the stamp matches the hash of this script and of
#   tools/guest/*, nothing is rebuilt.  Set TSVIRT_GUEST_FORCE=1 to rebuild.
#
# Needs (Debian): apt, dpkg (dpkg-deb), cpio, kmod (depmod), gzip, coreutils,
# findutils, util-linux (flock).  Missing cpio/kmod are apt-installed when
# running as root.  Nothing is installed on the host from the downloaded
# packages: they are only unpacked with dpkg-deb -x.
# See docs/test-guest.md.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
GUEST_DIR=$REPO_ROOT/tools/guest
SCRIPT_REL=tools/scripts/build-test-guest.sh
META_PKG=linux-image-cloud-amd64

log() { echo "build-test-guest: $*" >&2; }
die() { log "error: $*"; exit 1; }

case "${1:-}" in
  -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
[ $# -le 1 ] || die "usage: $SCRIPT_REL [OUTDIR]"

OUTDIR=${1:-$REPO_ROOT/build/test-guest}
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

# --- cache check -------------------------------------------------------------
inputs_hash() {
  (
    cd "$REPO_ROOT"
    # shellcheck disable=SC2046
    sha256sum "$SCRIPT_REL" $(find tools/guest -type f | LC_ALL=C sort)
  ) | sha256sum | cut -d' ' -f1
}
HASH=$(inputs_hash)

up_to_date() {
  [ -s "$OUTDIR/vmlinuz" ] && [ -s "$OUTDIR/initrd.img" ] && [ -f "$OUTDIR/stamp" ] &&
    [ "$(cat "$OUTDIR/stamp")" = "$HASH" ]
}

if [ "${TSVIRT_GUEST_FORCE:-0}" != 1 ] && up_to_date; then
  exit 0
fi

# Serialise concurrent builds into the same OUTDIR, then re-check.
exec 9> "$OUTDIR/.lock"
flock 9
if [ "${TSVIRT_GUEST_FORCE:-0}" != 1 ] && up_to_date; then
  exit 0
fi

# --- host tools ----------------------------------------------------------------
need_pkgs=()
command -v cpio >/dev/null 2>&1 || need_pkgs+=(cpio)
command -v depmod >/dev/null 2>&1 || [ -x /sbin/depmod ] || need_pkgs+=(kmod)
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb not found (Debian/Ubuntu host required)"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found (Debian/Ubuntu host required)"
if [ ${#need_pkgs[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing host packages: ${need_pkgs[*]} (apt-get install ${need_pkgs[*]})"
  log "installing host packages: ${need_pkgs[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_pkgs[@]}" >&2 ||
    { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_pkgs[@]}" >&2; }
fi
DEPMOD=$(command -v depmod || echo /sbin/depmod)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tsvirt-guest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# --- download -------------------------------------------------------------------
APT_OPTS=()
# apt drops privileges to _apt, which cannot write into a private mktemp dir.
[ "$(id -u)" = 0 ] && APT_OPTS+=(-o APT::Sandbox::User=root)

resolve_kernel_pkg() {
  apt-cache depends "$META_PKG" 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
download() {
  (cd "$WORK" && apt-get "${APT_OPTS[@]}" download "$@" >&2)
}

KPKG=$(resolve_kernel_pkg || true)
if [ -z "$KPKG" ] || ! download "$KPKG" busybox-static; then
  log "apt download failed or $META_PKG unknown; running apt-get update"
  apt-get update >&2 || die "apt-get update failed"
  KPKG=$(resolve_kernel_pkg || true)
  [ -n "$KPKG" ] || die "cannot resolve the kernel package behind $META_PKG"
  download "$KPKG" busybox-static || die "apt-get download $KPKG busybox-static failed"
fi
log "kernel package: $KPKG"

EX=$WORK/extract
mkdir -p "$EX"
for deb in "$WORK"/*.deb; do
  dpkg-deb -x "$deb" "$EX"
done

KVER=${KPKG#linux-image-}
[ -d "$EX/lib/modules/$KVER" ] || KVER=$(cd "$EX/lib/modules" && ls | head -n 1)
MODSRC=$EX/lib/modules/$KVER
[ -f "$EX/boot/vmlinuz-$KVER" ] || die "kernel image not found in $KPKG"
[ -x "$EX/bin/busybox" ] || die "busybox not found in busybox-static"
log "kernel version: $KVER"

# --- stage the initramfs tree -----------------------------------------------
ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,etc/acpi/PWRF,etc/tsvirt,proc,sys,dev,run,tmp,var/log,root}
chmod 1777 "$ROOT/tmp"
cp "$EX/bin/busybox" "$ROOT/bin/busybox"
# Applet symlinks, at the paths busybox itself reports.
"$ROOT/bin/busybox" --list-full | while read -r applet; do
  [ -e "$ROOT/$applet" ] && continue
  mkdir -p "$ROOT/$(dirname "$applet")"
  ln -s /bin/busybox "$ROOT/$applet"
done

install -m 0755 "$GUEST_DIR/init" "$ROOT/init"
install -m 0755 "$GUEST_DIR/acpi-power" "$ROOT/etc/acpi/PWRF/00000080"
install -m 0755 "$GUEST_DIR/udhcpc.script" "$ROOT/etc/udhcpc.script"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$ROOT/etc/passwd"
printf 'root:x:0:\n' > "$ROOT/etc/group"
: > "$ROOT/etc/resolv.conf"

# --- kernel modules + dependencies -------------------------------------------
# Dependency graph of the whole kernel: depmod on a throw-away copy of the tree.
"$DEPMOD" -b "$EX" "$KVER"
DEPFILE=$MODSRC/modules.dep

# path of a module (relative to MODSRC) by module name, '' if not shipped
mod_path() {
  awk -F: -v want="$1" '{
      n = $1; sub(/.*\//, "", n); sub(/\.ko(\.(xz|zst|gz))?$/, "", n); gsub(/-/, "_", n)
      if (n == want) { print $1; exit }
    }' "$DEPFILE"
}
mod_deps() {
  awk -F: -v p="$1" '$1 == p { print $2; exit }' "$DEPFILE"
}

declare -A WANT=()
add_with_deps() {
  local p=$1 d
  [ -n "${WANT[$p]:-}" ] && return 0
  WANT[$p]=1
  for d in $(mod_deps "$p"); do add_with_deps "$d"; done
}

: > "$ROOT/etc/tsvirt/modules"
while read -r line; do
  line=${line%%#*}
  line=$(echo "$line" | tr -d '[:space:]')
  [ -n "$line" ] || continue
  name=${line%\?}
  optional=0
  [ "$name" != "$line" ] && optional=1
  if grep -Eq "/${name//_/[-_]}\.ko(\.(xz|zst|gz))?\$" "$MODSRC/modules.builtin"; then
    log "module $name is built into the kernel"
    continue
  fi
  p=$(mod_path "$name")
  if [ -z "$p" ]; then
    [ "$optional" = 1 ] && { log "optional module $name not in this kernel, skipped"; continue; }
    die "required module $name not found in $KPKG"
  fi
  add_with_deps "$p"
  echo "$line" >> "$ROOT/etc/tsvirt/modules"
done < "$GUEST_DIR/modules"

MODDST=$ROOT/lib/modules/$KVER
mkdir -p "$MODDST"
for p in "${!WANT[@]}"; do
  src=$MODSRC/$p
  dst=$MODDST/${p%.ko*}.ko
  mkdir -p "$(dirname "$dst")"
  # busybox modprobe loads plain .ko only: decompress whatever is compressed.
  case "$p" in
    *.ko.xz) xz -dc "$src" > "$dst" ;;
    *.ko.zst) zstd -qdc "$src" > "$dst" ;;
    *.ko.gz) gzip -dc "$src" > "$dst" ;;
    *) cp "$src" "$dst" ;;
  esac
done
for f in modules.builtin modules.builtin.modinfo modules.order; do
  [ -f "$MODSRC/$f" ] && cp "$MODSRC/$f" "$MODDST/"
done
"$DEPMOD" -b "$ROOT" "$KVER"
log "modules: $(cd "$MODDST" && find kernel -name '*.ko' | sed 's,.*/,,; s,\.ko$,,' | LC_ALL=C sort | tr '\n' ' ')"

# --- write outputs (atomically: temp names, then rename) ------------------
# Fixed timestamps so that identical inputs give an identical initrd.img.
find "$ROOT" -exec touch -h -d @0 {} +
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) |
  gzip -9n > "$OUTDIR/.initrd.img.tmp"
cp "$EX/boot/vmlinuz-$KVER" "$OUTDIR/.vmlinuz.tmp"
rm -f "$OUTDIR/stamp"
mv -f "$OUTDIR/.vmlinuz.tmp" "$OUTDIR/vmlinuz"
mv -f "$OUTDIR/.initrd.img.tmp" "$OUTDIR/initrd.img"
echo "$KVER" > "$OUTDIR/kernel-version"
echo "$HASH" > "$OUTDIR/stamp"
log "built $OUTDIR/vmlinuz ($(stat -c %s "$OUTDIR/vmlinuz") bytes) and initrd.img ($(stat -c %s "$OUTDIR/initrd.img") bytes)"
