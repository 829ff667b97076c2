#!/usr/bin/python3
"""Issue 4's storage workloads against real libvirt (python3-libvirt and virsh), the same
definitions as bench/storage.mjs. Run it against a private libvirtd:
   ../shared/bench-libvirt/isolated.sh bench/storage-libvirt.py volumes [--n 1000] [--list-calls 50]
   ../shared/bench-libvirt/isolated.sh bench/storage-libvirt.py transfer --source FILE [--reps 1]
One JSON line per workload (per transfer mode), with storage.mjs's field names. Pools live
in a fresh /tmp/tsv-* dir, removed at the end. Before each timed transfer step, the page
cache of the files it reads or writes (only those) is flushed and dropped.
"""
import argparse
import hashlib
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import libvirt

URI = os.environ.get("BENCH_URI", "qemu:///system")
MiB = 1024 * 1024
LOAD_AT_START = None


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    return s[max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))]


def busy_others():
    out = subprocess.run(["ps", "-eo", "pid,pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines()[1:6]:
        pid, cpu, *comm = line.split()
        if float(cpu) >= 5 and int(pid) != os.getpid():
            rows.append(f"{' '.join(comm)}:{cpu}%")
    return rows


def emit(workload, params, results, variant=None):
    print(json.dumps({
        "workload": workload, "variant": variant, "impl": "libvirt-" + libvirt_version(), "uri": URI,
        "params": params, "results": results, "host": socket.gethostname(),
        "loadavg_start": LOAD_AT_START, "loadavg_end": loadavg(), "busy_procs_end": busy_others(),
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }), flush=True)


def libvirt_version():
    v = libvirt.getVersion()
    return f"{v // 1000000}.{v // 1000 % 1000}.{v % 1000}"


def drop_cache(*files):
    """Writes back and drops the page cache of these files alone (GNU dd's documented idiom)."""
    for f in files:
        subprocess.run(["dd", f"of={f}", "oflag=nocache", "conv=notrunc,fdatasync", "count=0", "status=none"], check=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * MiB):
            h.update(chunk)
    return h.hexdigest()


def allocated(path):
    return os.stat(path).st_blocks * 512


def vol_xml(name, capacity, allocation=None):
    alloc = "" if allocation is None else f"<allocation unit='bytes'>{allocation}</allocation>"
    return (f"<volume><name>{name}</name><capacity unit='bytes'>{capacity}</capacity>{alloc}"
            "<target><format type='raw'/></target></volume>")


class DirPool:
    """A transient-free, persistent dir pool in a temp dir: defined, built, started; gone afterwards."""

    def __init__(self, conn, name):
        self.dir = tempfile.mkdtemp(prefix="tsv-lvbench-")
        self.path = os.path.join(self.dir, "pool-" + name)
        self.pool = conn.storagePoolDefineXML(
            f"<pool type='dir'><name>{name}</name><target><path>{self.path}</path></target></pool>", 0)
        self.pool.build(0)
        self.pool.create(0)

    def close(self):
        try:
            for vol in self.pool.listAllVolumes(0):
                vol.delete(0)
            self.pool.destroy()
            self.pool.undefine()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def volumes(args):
    conn = libvirt.open(URI)
    pool = DirPool(conn, "bench")
    try:
        names = [f"vol-{i}.raw" for i in range(args.n)]
        t0 = time.perf_counter()
        vols = [pool.pool.createXML(vol_xml(name, MiB), 0) for name in names]
        t_create = time.perf_counter() - t0
        listed = len(pool.pool.listAllVolumes(0))
        lat = []
        for _ in range(args.list_calls):
            s = time.perf_counter_ns()
            pool.pool.listAllVolumes(0)
            lat.append(time.perf_counter_ns() - s)
        t0 = time.perf_counter()
        for vol in vols:
            vol.delete(0)
        t_delete = time.perf_counter() - t0
        left = len(pool.pool.listAllVolumes(0))
        emit("volumes", {"n": args.n, "list_calls": args.list_calls,
                         "volume": "1 MiB raw, allocation = capacity (XML without <allocation>)"}, {
            "creates_per_s": round(args.n / t_create, 1), "create_total_s": round(t_create, 3),
            "listed": listed,
            "list_p50_us": round(pct(lat, 50) / 1000, 1), "list_p90_us": round(pct(lat, 90) / 1000, 1),
            "deletes_per_s": round(args.n / t_delete, 1), "delete_total_s": round(t_delete, 3),
            "left_after_delete": left,
        })
    finally:
        pool.close()
        conn.close()


def timed(files, fn):
    drop_cache(*files)
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def rates(size, seconds):
    return {"seconds": round(seconds, 3), "mib_per_s": round(size / MiB / seconds, 1)}


def virsh(*args):
    subprocess.run(["virsh", "-q", "-c", URI, *args], check=True, stdout=subprocess.DEVNULL)


def transfer(args):
    source = os.path.abspath(args.source)
    size = os.path.getsize(source)
    want = sha256_file(source)
    conn = libvirt.open(URI)
    pool = DirPool(conn, "xfer")
    try:
        vol = pool.pool.createXML(vol_xml("disk.raw", size, 0), 0)
        vol_path = vol.path()
        out = os.path.join(pool.dir, "download.img")
        for rep in range(args.reps):
            for variant, flags in (("virsh", []), ("virsh-sparse", ["--sparse"])):
                up = timed([source, vol_path], lambda: virsh("vol-upload", "--pool", "xfer", "disk.raw", source, *flags))
                up_ok = sha256_file(vol_path) == want
                vol_allocated = allocated(vol_path)
                if os.path.exists(out):
                    os.unlink(out)
                down = timed([vol_path], lambda: virsh("vol-download", "--pool", "xfer", "disk.raw", out, *flags))
                down_ok = sha256_file(out) == want
                out_allocated = allocated(out)
                os.unlink(out)
                if not (up_ok and down_ok):
                    raise SystemExit(f"{variant}: sha256 mismatch (upload {up_ok}, download {down_ok})")
                emit("transfer", {"size": size, "source_allocated": allocated(source), "rep": rep,
                                  "cache": "cold: dd oflag=nocache per file before each step"}, {
                    "upload": rates(size, up), "download": rates(size, down), "sha256_ok": True,
                    "volume_allocated": vol_allocated, "download_allocated": out_allocated,
                }, variant)
    finally:
        pool.close()
        conn.close()


def main():
    global LOAD_AT_START
    LOAD_AT_START = loadavg()
    ap = argparse.ArgumentParser()
    ap.add_argument("workload", choices=["volumes", "transfer"])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--list-calls", type=int, default=50)
    ap.add_argument("--source")
    ap.add_argument("--reps", type=int, default=1)
    args = ap.parse_args()
    if args.workload == "transfer" and not args.source:
        sys.exit("--source FILE is needed")
    {"volumes": volumes, "transfer": transfer}[args.workload](args)


if __name__ == "__main__":
    main()
