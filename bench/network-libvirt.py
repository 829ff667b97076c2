#!/usr/bin/python3
"""Issue 5's network workloads against real libvirt (python3-libvirt), the same
definitions as bench/network.mjs. Starting a network creates bridges, a dnsmasq, firewall
rules and writes ip_forward, so this refuses to run in the host's network namespace: run
it, and the private libvirtd, inside one that bench/compare-network.sh creates:
   ip netns exec NS ../shared/bench-libvirt/isolated.sh bench/network-libvirt.py lifecycle [--cycles 20]
   ip netns exec NS ../shared/bench-libvirt/isolated.sh bench/network-libvirt.py scale [--n 100]
One JSON line per workload, with network.mjs's field names.
  lifecycle: one unmeasured warm-up cycle, then CYCLES x define -> create (net-start) ->
             destroy (net-destroy) -> undefine of a NAT network with a DHCP range; p50/p90
             of each step. Outside the timed calls each cycle checks that the bridge and its
             dnsmasq are there after the start and gone after the destroy.
  scale:     N NAT networks bench-N (bridge bnetN, 10.200.N.0/24, DHCP .2-.254) defined and
             started one after another, then destroyed and undefined; totals, per-network
             start/destroy latency, daemon RSS before / with N running / after, and the
             bridges and dnsmasqs counted at each point.
"""
import argparse
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import time

import libvirt

URI = os.environ.get("BENCH_URI", "qemu:///system")
PIDFILE = os.environ.get("BENCH_PIDFILE", "/run/libvirtd.pid")  # isolated.sh sets its own
LOAD_AT_START = None
GONE_TIMEOUT_S = 10


def nat_xml(name, bridge, third_octet, second_octet=200):
    """The network of both sides: NAT, a bridge of our naming, a /24 with a DHCP range."""
    net = f"10.{second_octet}.{third_octet}"
    return (f"<network><name>{name}</name><forward mode='nat'/>"
            f"<bridge name='{bridge}' stp='on' delay='0'/>"
            f"<ip address='{net}.1' netmask='255.255.255.0'>"
            f"<dhcp><range start='{net}.2' end='{net}.254'/></dhcp></ip></network>")


# ---- statistics and machine facts, as bench.py ----

def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    return s[max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))]


def lat_stats_ms(ns_list):
    ms = [x / 1e6 for x in ns_list]
    return {"p50_ms": round(pct(ms, 50), 2), "p90_ms": round(pct(ms, 90), 2), "min_ms": round(min(ms), 2),
            "max_ms": round(max(ms), 2), "mean_ms": round(statistics.fmean(ms), 2)}


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def busy_others():
    out = subprocess.run(["ps", "-eo", "pid,pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines()[1:6]:
        pid, cpu, *comm = line.split()
        if float(cpu) >= 5 and int(pid) != os.getpid():
            rows.append(f"{' '.join(comm)}:{cpu}%")
    return rows


def libvirt_version():
    v = libvirt.getVersion()
    return f"{v // 1000000}.{v // 1000 % 1000}.{v % 1000}"


def emit(workload, params, results, variant=None):
    print(json.dumps({
        "workload": workload, "variant": variant, "impl": "libvirt-" + libvirt_version(), "uri": URI,
        "params": params, "results": results, "host": socket.gethostname(),
        "loadavg_start": LOAD_AT_START, "loadavg_end": loadavg(), "busy_procs_end": busy_others(),
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }), flush=True)


def status_field(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return line.split()[1]
    except OSError:
        return None
    return None


def rss_kib(pid, field="VmRSS"):
    v = status_field(pid, field)
    return None if v is None else int(v)


def daemon_pid():
    """The private libvirtd, from its pid file only (other libvirtds may run on this machine)."""
    with open(PIDFILE) as f:
        pid = int(f.read().strip())
    with open(f"/proc/{pid}/comm") as f:
        if f.read().strip() != "libvirtd":
            raise SystemExit(f"pid {pid} of {PIDFILE} is not a libvirtd")
    return pid


# ---- what a network leaves in this namespace ----

MY_NETNS = os.readlink("/proc/self/ns/net")


def refuse_host_netns():
    """Only in a named namespace of ours (`ip netns identify` names the one we are in, if any)."""
    here = subprocess.run(["ip", "netns", "identify", str(os.getpid())], capture_output=True, text=True).stdout.strip()
    if not here.startswith("tsv-"):
        sys.exit("network-libvirt.py: refusing to run outside a tsv-* network namespace (use bench/compare-network.sh)")


def dnsmasqs_here():
    """The live (non-zombie) dnsmasq processes in this network namespace: {pid: (ppid, rss_kib)}.
    A dnsmasq with a dhcp-script (libvirt's leases helper) has a forked helper, also named dnsmasq."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/ns/net") != MY_NETNS:
                continue
            with open(f"/proc/{entry}/comm") as f:
                if f.read().strip() != "dnsmasq":
                    continue
        except OSError:
            continue
        state = status_field(entry, "State")
        if state and state != "Z":
            found[int(entry)] = (int(status_field(entry, "PPid") or 0), rss_kib(entry) or 0)
    return found


def dnsmasq_instances(found):
    """One per network: the dnsmasqs whose parent is not a dnsmasq."""
    return [pid for pid, (ppid, _) in found.items() if ppid not in found]


def bridge_exists(name):
    try:
        socket.if_nametoindex(name)
        return True
    except OSError:
        return False


def wait_until(what, fn):
    deadline = time.monotonic() + GONE_TIMEOUT_S
    while not fn():
        if time.monotonic() > deadline:
            raise SystemExit(f"network-libvirt.py: {what} not within {GONE_TIMEOUT_S} s")
        time.sleep(0.01)


def cleanup_prefix(conn, prefix):
    for net in conn.listAllNetworks(0):
        if net.name().startswith(prefix):
            if net.isActive():
                net.destroy()
            if net.isPersistent():
                net.undefine()


# ---- lifecycle: define -> start -> destroy -> undefine ----

def one_cycle(conn, name, bridge):
    pc = time.perf_counter_ns
    c0 = pc()
    net = conn.networkDefineXML(nat_xml(name, bridge, 0, second_octet=199))
    c1 = pc()
    net.create()
    c2 = pc()
    bridge_up, dnsmasqs = bridge_exists(bridge), dnsmasq_instances(dnsmasqs_here())
    c3 = pc()
    net.destroy()
    c4 = pc()
    net.undefine()
    c5 = pc()
    if not bridge_up or len(dnsmasqs) != 1:
        raise SystemExit(f"network-libvirt.py: after net-start of {name}: bridge {bridge} there: {bridge_up}, "
                         f"dnsmasq instances {dnsmasqs}")
    wait_until(f"bridge {bridge} and dnsmasq gone after net-destroy",
               lambda: not bridge_exists(bridge) and not dnsmasqs_here())
    return {"define": c1 - c0, "start": c2 - c1, "destroy": c4 - c3, "undefine": c5 - c4,
            "cycle": (c5 - c0) - (c3 - c2)}


def lifecycle(args):
    conn = libvirt.open(URI)
    cleanup_prefix(conn, "bench-")
    for w in range(args.warmup):
        one_cycle(conn, f"bench-warm-{w}", "bnat0")
    cycles = [one_cycle(conn, f"bench-nat-{i}", "bnat0") for i in range(args.cycles)]
    conn.close()
    results = {k: lat_stats_ms([c[k] for c in cycles]) for k in ("define", "start", "destroy", "undefine", "cycle")}
    emit("lifecycle", {"cycles": args.cycles, "warmup": args.warmup, "network": "nat, dhcp range, stp on delay 0",
                       "xml": nat_xml("NAME", "bnat0", 0, second_octet=199)}, results, variant="nat-dhcp")


# ---- scale: N networks defined and started, then destroyed and undefined ----

def scale(args):
    conn = libvirt.open(URI)
    cleanup_prefix(conn, "bench-")
    pid = daemon_pid()
    time.sleep(1)
    rss_before, anon_before = rss_kib(pid), rss_kib(pid, "RssAnon")
    pc = time.perf_counter_ns
    nets, lat_define, lat_start = [], [], []
    t0 = pc()
    for i in range(args.n):
        s = pc()
        net = conn.networkDefineXML(nat_xml(f"bench-{i}", f"bnet{i}", i))
        s1 = pc()
        net.create()
        lat_start.append(pc() - s1)
        lat_define.append(s1 - s)
        nets.append(net)
    t_up = (pc() - t0) / 1e9
    active = len(conn.listAllNetworks(libvirt.VIR_CONNECT_LIST_NETWORKS_ACTIVE))
    bridges = sum(bridge_exists(f"bnet{i}") for i in range(args.n))
    dnsmasqs = dnsmasqs_here()
    time.sleep(1)
    rss_full, anon_full = rss_kib(pid), rss_kib(pid, "RssAnon")
    lat_destroy, lat_undefine = [], []
    t0 = pc()
    for net in nets:
        s = pc()
        net.destroy()
        s1 = pc()
        net.undefine()
        lat_undefine.append(pc() - s1)
        lat_destroy.append(s1 - s)
    t_down = (pc() - t0) / 1e9
    remaining = len(conn.listAllNetworks(0))
    wait_until("all bridges and dnsmasqs gone after destroying the networks",
               lambda: not dnsmasqs_here() and not any(bridge_exists(f"bnet{i}") for i in range(args.n)))
    time.sleep(1)
    rss_after, anon_after = rss_kib(pid), rss_kib(pid, "RssAnon")
    conn.close()
    instances = len(dnsmasq_instances(dnsmasqs))
    if active != args.n or bridges != args.n or instances != args.n:
        raise SystemExit(f"network-libvirt.py: {args.n} started, but {active} active, {bridges} bridges, "
                         f"{instances} dnsmasq instances")
    emit("scale", {"n": args.n, "network": "nat, 10.200.N.0/24, dhcp .2-.254, bridge bnetN"}, {
        "define_start_total_s": round(t_up, 3),
        "define_lat": lat_stats_ms(lat_define),
        "start_lat": lat_stats_ms(lat_start),
        # does a start get slower with more networks running? (first and last tenth)
        "start_first_tenth_p50_ms": round(pct(lat_start[:max(1, args.n // 10)], 50) / 1e6, 2),
        "start_last_tenth_p50_ms": round(pct(lat_start[-max(1, args.n // 10):], 50) / 1e6, 2),
        "destroy_undefine_total_s": round(t_down, 3),
        "destroy_lat": lat_stats_ms(lat_destroy),
        "undefine_lat": lat_stats_ms(lat_undefine),
        "active_with_n": active, "bridges_with_n": bridges, "dnsmasqs_with_n": instances,
        "dnsmasq_processes_with_n": len(dnsmasqs),
        "dnsmasq_rss_kib_total": sum(rss for _, rss in dnsmasqs.values()),
        "networks_remaining": remaining,
        "rss_kib_before": rss_before, "rss_kib_n_running": rss_full, "rss_kib_after": rss_after,
        "rss_anon_kib_before": anon_before, "rss_anon_kib_n_running": anon_full, "rss_anon_kib_after": anon_after,
        "daemon_pid": pid,
    })


def main():
    global LOAD_AT_START
    LOAD_AT_START = loadavg()
    refuse_host_netns()
    ap = argparse.ArgumentParser()
    ap.add_argument("workload", choices=["lifecycle", "scale"])
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--n", type=int, default=100)
    args = ap.parse_args()
    {"lifecycle": lifecycle, "scale": scale}[args.workload](args)


if __name__ == "__main__":
    main()
