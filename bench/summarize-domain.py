#!/usr/bin/env python3
"""Medians of bench/compare-domain.sh's JSON lines, libvirt and tsvirt side by side,
with issue 3's target for each figure that has one.
   usage: bench/summarize-domain.py FILE.jsonl
"""
import json
import statistics
import sys

# (label, workload, variant, path in results, unit, target kind, target value)
#   ratio_max: tsvirt / libvirt must be at most the value (times: lower is better)
#   ratio_min: tsvirt / libvirt must be at least the value (rates: higher is better)
#   abs_max:   tsvirt's figure must be at most the value (libvirt's is shown for reference)
ROWS = [
    ("define", "define_scale", None, "defines_per_s", "/s", "ratio_min", 4),
    ("list, 1000 defined, p50", "define_scale", None, "list_1000_p50_us", "us", "ratio_max", 0.2),
    ("lookup+XMLDesc x1000", "define_scale", None, "lookup_xmldesc_total_s", "s", None, None),
    ("undefine", "define_scale", None, "undefines_per_s", "/s", "ratio_min", 4),
    ("RSS before", "define_scale", None, "rss_kib_before", "KiB", None, None),
    ("RSS 1000 defined", "define_scale", None, "rss_kib_1000_defined", "KiB", None, None),
    ("RssAnon before", "define_scale", None, "rss_anon_kib_before", "KiB", None, None),
    ("RssAnon 1000 defined", "define_scale", None, "rss_anon_kib_1000_defined", "KiB", None, None),
    ("kvm start p50", "lifecycle", "kvm", "start.p50_ms", "ms", "ratio_max", 0.25),
    ("kvm start p90", "lifecycle", "kvm", "start.p90_ms", "ms", None, None),
    ("kvm destroy p50", "lifecycle", "kvm", "destroy.p50_ms", "ms", "ratio_max", 0.1),
    ("kvm destroy p90", "lifecycle", "kvm", "destroy.p90_ms", "ms", None, None),
    ("kvm cycle p50", "lifecycle", "kvm", "cycle.p50_ms", "ms", None, None),
    ("tcg start p50", "lifecycle", "qemu", "start.p50_ms", "ms", None, None),
    ("tcg destroy p50", "lifecycle", "qemu", "destroy.p50_ms", "ms", None, None),
    ("tcg cycle p50", "lifecycle", "qemu", "cycle.p50_ms", "ms", None, None),
    ("STARTED after create returned, p50", "events", "kvm", "start_ret_to_evt_us.p50", "us", "abs_max", 1000),
    ("STARTED after create returned, p90", "events", "kvm", "start_ret_to_evt_us.p90", "us", "abs_max", 1000),
    ("STOPPED after destroy returned, p50", "events", "kvm", "destroy_ret_to_evt_us.p50", "us", "abs_max", 1000),
    ("STOPPED after destroy returned, p90", "events", "kvm", "destroy_ret_to_evt_us.p90", "us", "abs_max", 1000),
    ("daemon start to first answer, p50", "daemon_start", "warm", "start_ms_p50", "ms", None, None),
    ("daemon idle RSS", "daemon_start", "warm", "rss_kib_idle_p50", "KiB", None, None),
]


def dig(d, path):
    for key in path.split("."):
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip().startswith("{")]
    values = {}
    for r in rows:
        variant = r.get("variant")
        if r["workload"] == "daemon_start":
            variant = "warm" if str(variant).startswith("warm") else variant
        for label, workload, want_variant, field, *_ in ROWS:
            if r["workload"] == workload and (want_variant is None or variant == want_variant):
                v = dig(r["results"], field)
                if isinstance(v, (int, float)):
                    values.setdefault((label, r["impl_tag"]), []).append(v)

    def med(label, impl):
        xs = values.get((label, impl))
        return (statistics.median(xs), len(xs)) if xs else (None, 0)

    print(f"{'figure':38} {'unit':4} {'libvirt':>10} {'tsvirt':>10} {'ratio':>7}  target")
    for label, _w, _v, _f, unit, kind, target in ROWS:
        lv, nl = med(label, "libvirt")
        tv, nt = med(label, "tsvirt")
        ratio = tv / lv if lv and tv is not None else None
        verdict = ""
        if kind == "ratio_min" and ratio is not None:
            verdict = f">= {target}x: {'met' if ratio >= target else 'NOT met'}"
        elif kind == "ratio_max" and ratio is not None:
            verdict = f"<= {target}x: {'met' if ratio <= target else 'NOT met'}"
        elif kind == "abs_max" and tv is not None:
            verdict = f"<= {target} {unit}: {'met' if tv <= target else 'NOT met'}"
        fmt = lambda x: "-" if x is None else (f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}" if abs(x) < 1000 else f"{x:.0f}")
        print(f"{label:38} {unit:4} {fmt(lv):>10} {fmt(tv):>10} {('-' if ratio is None else f'{ratio:.2f}x'):>7}  {verdict}"
              f"{'' if max(nl, nt) <= 1 else f'  (n={nl}/{nt})'}")
    print("raw:", path)


if __name__ == "__main__":
    main(sys.argv[1])
