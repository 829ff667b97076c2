#!/usr/bin/env python3
"""Medians of bench/compare-storage.sh's JSON lines: libvirt, tsvirt and cp side by side,
with issue 4's targets.
   usage: bench/summarize-storage.py FILE.jsonl
"""
import json
import statistics
import sys

# (label, impl_tag, workload, variant, path in results, unit)
VOLUME_ROWS = [
    ("create 1 MiB raw", "creates_per_s", "/s"),
    ("list, 1000 volumes, p50", "list_p50_us", "us"),
    ("delete", "deletes_per_s", "/s"),
]
# transfer modes: (label, impl_tag, variant); MiB/s of the 1 GiB logical size
TRANSFER_MODES = [
    ("cp (SEEK_DATA, keeps holes)", "cp", "cp"),
    ("cp --sparse=always", "cp", "cp-sparse-always"),
    ("cp --sparse=never", "cp", "cp-sparse-never"),
    ("virsh vol-upload/download", "libvirt", "virsh"),
    ("virsh ... --sparse", "libvirt", "virsh-sparse"),
    ("tsvirt client helpers", "tsvirt", "client"),
    ("tsvirt client helpers, sparse", "tsvirt", "client-sparse"),
    ("tsvirsh vol-upload/download", "tsvirt", "tsvirsh"),
    ("tsvirsh ... --sparse", "tsvirt", "tsvirsh-sparse"),
]
# issue 4: each tsvirt mode at least 0.8x of cp and faster than virsh in the same mode
TARGETS = {"client": "virsh", "client-sparse": "virsh-sparse", "tsvirsh": "virsh", "tsvirsh-sparse": "virsh-sparse"}


def fmt(x):
    return "-" if x is None else (f"{x:.2f}" if abs(x) < 10 else f"{x:.1f}" if abs(x) < 1000 else f"{x:.0f}")


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip().startswith("{")]
    vals = {}
    for r in rows:
        tag, res = r["impl_tag"], r["results"]
        if r["workload"] == "volumes":
            for label, field, _ in VOLUME_ROWS:
                vals.setdefault(("volumes", label, tag), []).append(res[field])
        elif r["workload"] == "transfer":
            for way in ("upload", "download"):
                vals.setdefault((way, r["variant"], tag), []).append(res[way]["mib_per_s"])

    def med(key):
        xs = vals.get(key)
        return (statistics.median(xs), len(xs)) if xs else (None, 0)

    loads = sorted({r["loadavg_end"] for r in rows})
    print(f"load averages seen: {loads[0]} .. {loads[-1]}" if loads else "no rows")
    print(f"\nvolumes            {'unit':4} {'libvirt':>9} {'tsvirt':>9} {'ratio':>7}")
    for label, _f, unit in VOLUME_ROWS:
        lv, _ = med(("volumes", label, "libvirt"))
        tv, n = med(("volumes", label, "tsvirt"))
        ratio = f"{tv / lv:.2f}x" if lv and tv is not None else "-"
        print(f"{label:24} {unit:4} {fmt(lv):>9} {fmt(tv):>9} {ratio:>7}" + (f"  (n={n})" if n > 1 else ""))

    cp_up, _ = med(("upload", "cp", "cp"))
    cp_down, _ = med(("download", "cp", "cp"))
    print(f"\ntransfer, MiB/s of 1 GiB          {'upload':>8} {'download':>8}   {'up/cp':>6} {'dn/cp':>6}  target (>= 0.8x cp, > virsh same mode)")
    for label, tag, variant in TRANSFER_MODES:
        up, n = med(("upload", variant, tag))
        down, _ = med(("download", variant, tag))
        if up is None:
            continue
        r_up = f"{up / cp_up:.2f}" if cp_up else "-"
        r_down = f"{down / cp_down:.2f}" if cp_down else "-"
        verdict = ""
        if variant in TARGETS:
            lv_up, _ = med(("upload", TARGETS[variant], "libvirt"))
            lv_down, _ = med(("download", TARGETS[variant], "libvirt"))
            parts = []
            for way, v, c, l in (("up", up, cp_up, lv_up), ("down", down, cp_down, lv_down)):
                ok_cp = c is not None and v >= 0.8 * c
                ok_lv = l is not None and v > l
                parts.append(f"{way}: cp {'met' if ok_cp else 'NOT met'}, virsh {'met' if ok_lv else 'NOT met'}"
                             + (f" ({v / l:.2f}x)" if l else ""))
            verdict = "; ".join(parts)
        print(f"{label:33} {fmt(up):>8} {fmt(down):>8}   {r_up:>6} {r_down:>6}  {verdict}" + (f"  (n={n})" if n > 1 else ""))
    print("raw:", path)


if __name__ == "__main__":
    main(sys.argv[1])
