#!/usr/bin/env python3
"""Medians of bench/compare-network.sh's JSON lines, libvirt and tsvirt side by side,
with issue 5's target for each figure that has one.
   usage: bench/summarize-network.py FILE.jsonl
"""
import json
import statistics
import sys

# (label, workload, path in results, unit, target kind, target value)
#   ratio_max: tsvirt / libvirt must be at most the value (times: lower is better)
ROWS = [
    ("net-start p50", "lifecycle", "start.p50_ms", "ms", "ratio_max", 0.5),
    ("net-start p90", "lifecycle", "start.p90_ms", "ms", "ratio_max", 0.5),
    ("net-destroy p50", "lifecycle", "destroy.p50_ms", "ms", "ratio_max", 0.5),
    ("net-destroy p90", "lifecycle", "destroy.p90_ms", "ms", "ratio_max", 0.5),
    ("net-define p50", "lifecycle", "define.p50_ms", "ms", None, None),
    ("net-undefine p50", "lifecycle", "undefine.p50_ms", "ms", None, None),
    ("cycle p50", "lifecycle", "cycle.p50_ms", "ms", None, None),
    ("scale: define+start, total", "scale", "define_start_total_s", "s", None, None),
    ("scale: start p50", "scale", "start_lat.p50_ms", "ms", None, None),
    ("scale: start p90", "scale", "start_lat.p90_ms", "ms", None, None),
    ("scale: start p50, first tenth", "scale", "start_first_tenth_p50_ms", "ms", None, None),
    ("scale: start p50, last tenth", "scale", "start_last_tenth_p50_ms", "ms", None, None),
    ("scale: destroy+undefine, total", "scale", "destroy_undefine_total_s", "s", None, None),
    ("scale: destroy p50", "scale", "destroy_lat.p50_ms", "ms", None, None),
    ("scale: destroy p90", "scale", "destroy_lat.p90_ms", "ms", None, None),
    ("scale: daemon RSS before", "scale", "rss_kib_before", "KiB", None, None),
    ("scale: daemon RSS, N running", "scale", "rss_kib_n_running", "KiB", None, None),
    ("scale: daemon RSS after", "scale", "rss_kib_after", "KiB", None, None),
    ("scale: daemon RssAnon before", "scale", "rss_anon_kib_before", "KiB", None, None),
    ("scale: daemon RssAnon, N running", "scale", "rss_anon_kib_n_running", "KiB", None, None),
    ("scale: daemon RssAnon after", "scale", "rss_anon_kib_after", "KiB", None, None),
    ("scale: dnsmasq processes, N running", "scale", "dnsmasq_processes_with_n", "", None, None),
    ("scale: dnsmasq RSS sum, N running", "scale", "dnsmasq_rss_kib_total", "KiB", None, None),
]


def dig(d, path):
    for key in path.split("."):
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def fmt(x):
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) >= 10):
        return str(int(x))
    return "-" if x is None else (f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}" if abs(x) < 1000 else f"{x:.0f}")


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip().startswith("{")]
    values = {}
    for r in rows:
        for label, workload, field, *_ in ROWS:
            if r["workload"] == workload:
                v = dig(r["results"], field)
                if isinstance(v, (int, float)):
                    values.setdefault((label, r["impl_tag"]), []).append(v)

    def med(label, impl):
        xs = values.get((label, impl))
        return (statistics.median(xs), len(xs)) if xs else (None, 0)

    loads = sorted({r["loadavg_end"] for r in rows})
    print(f"load averages seen: {loads[0]} .. {loads[-1]}" if loads else "no rows")
    ns = sorted({r["params"]["n"] for r in rows if r["workload"] == "scale"})
    cycles = sorted({r["params"]["cycles"] for r in rows if r["workload"] == "lifecycle"})
    print(f"lifecycle: cycles {cycles}; scale: N = {ns} networks")
    print(f"{'figure':38} {'unit':4} {'libvirt':>10} {'tsvirt':>10} {'ratio':>7}  target")
    for label, _w, _f, unit, kind, target in ROWS:
        lv, nl = med(label, "libvirt")
        tv, nt = med(label, "tsvirt")
        ratio = tv / lv if lv and tv is not None else None
        verdict = ""
        if kind == "ratio_max" and ratio is not None:
            verdict = f"<= {target}x: {'met' if ratio <= target else 'NOT met'}"
        print(f"{label:38} {unit:4} {fmt(lv):>10} {fmt(tv):>10} {('-' if ratio is None else f'{ratio:.2f}x'):>7}  {verdict}"
              f"{'' if max(nl, nt) <= 1 else f'  (n={nl}/{nt})'}")
    print("raw:", path)


if __name__ == "__main__":
    main(sys.argv[1])
