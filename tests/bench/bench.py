#!/usr/bin/env python3
"""make bench: zpcitrace's costs, measured side by side in one run; figures and ratios (these machines are
noisy: compare ratios, not absolute times). docs/performance.md explains the method.

1. storm (x86 host): a raw_tp program run by BPF_PROG_TEST_RUN emits zpcitrace's own records for many
   functions as fast as it can; the loader's consumer only counts them (producer-only rate), or correlates
   them, or correlates and records them to a capture (as 'zpcitrace record').
2. report: 'zpcitrace report' on that capture (>= 1 million events).
3. start-up (s390x guest, Debian 7.3, kprobes): load+attach time, from zpcitrace -v.
4. per-program cost (guest, kernel.bpf_stats_enabled=1): run_time_ns / run_cnt over the overflow scenario.
5. idle (guest): 60 s with --prom and no errors: CPU time, context switches (wakeups), peak RSS.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BED = os.path.join(HERE, "..", "e2e", "bed.py")


def storm(a, mode, secs, fns, capture="/dev/null"):
    out = subprocess.run([a.storm, mode, str(secs), str(fns), capture], capture_output=True, text=True)
    if out.returncode not in (0, 3):
        sys.exit(f"bench: storm {mode} failed: {out.stderr}")
    return {k: v for k, v in re.findall(r"(\w+)=(\S+)", out.stdout)}


def guest(a, name, conf):
    out = os.path.join(a.out, name)
    cmd = [sys.executable, BED, "run", "--kernel-dir", a.kernel_dir, "--initrd", a.initrd, "--out", out,
           "--timeout", "400"] + sum([["--conf", c] for c in conf], [])
    subprocess.run(cmd, check=True)
    return os.path.join(out, "out")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zpcitrace", required=True)
    ap.add_argument("--storm", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--kernel-dir", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--idle", type=int, default=60)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    res = {}

    print("== 1. storm on this host: 64 functions, one core producing, one consuming", flush=True)
    prod = storm(a, "count", a.seconds, 64)
    corr = storm(a, "correlate", a.seconds, 64)
    cap = os.path.join(a.out, "storm.jsonl")
    rec = storm(a, "loader", a.seconds, 64, cap)
    for name, r in (("producer only (consumer counts)", prod), ("loader: correlate", corr),
                    ("loader: correlate + record", rec)):
        print(f"  {name:34} {float(r['consumed_per_s']) / 1e6:7.3f} M events/s consumed, "
              f"{int(r['ringbuf_drops']):>10} counted drops, {r['uncounted']} uncounted", flush=True)
    for name, r in (("correlate", corr), ("correlate + record", rec)):
        print(f"  ratio {name} / producer-only: {float(r['consumed_per_s']) / float(prod['consumed_per_s']):.3f}")
    res["storm"] = {"producer": prod, "correlate": corr, "record": rec}

    print("== 2. zpcitrace report on the storm's capture", flush=True)
    t = time.time()
    out = subprocess.run([a.zpcitrace, "report", "-j", cap], capture_output=True, text=True)
    dt = time.time() - t
    n = json.loads(out.stdout)["counters"]["errors arrived"] * 3 if out.returncode == 0 else 0
    size = os.path.getsize(cap)
    print(f"  {n} events ({size / 1e6:.0f} MB) in {dt:.2f} s: {n / dt / 1e6:.3f} M events/s", flush=True)
    res["report"] = {"events": n, "seconds": dt, "bytes": size}
    os.unlink(cap)

    print("== 3+4. s390x guest (TCG): start-up and per-program cost over the overflow scenario", flush=True)
    d = guest(a, "hooks", ['ZT_TRACE="-v"', "ZT_BPF_STATS=1",
                           'ZT_VMM="open error error error error error error drain close"'])
    err = open(os.path.join(d, "trace.err")).read()
    m = re.search(r"loaded and attached in ([\d.]+) ms", err)
    print(f"  load+attach: {m.group(1) if m else '?'} ms", flush=True)
    progs = re.findall(r"^  prog (\S+) +(\S+) +(\d+) runs +(\d+) ns/run$", err, re.M)
    for name, func, runs, ns in progs:
        print(f"  {name:24} {func:31} {runs:>6} runs {ns:>8} ns/run")
    res["guest"] = {"attach_ms": float(m.group(1)) if m else None,
                    "progs": [{"prog": p, "func": f, "runs": int(r), "ns_per_run": int(n)} for p, f, r, n in progs]}

    print(f"== 5. idle in the guest: --prom -i 15, {a.idle} s without errors", flush=True)
    d = guest(a, "idle", ['ZT_TRACE="--prom /tmp/out/idle.prom -i 15"', f"ZT_IDLE={a.idle}", 'ZT_VMM=""'])
    start, end = open(os.path.join(d, "idle-start.txt")).read(), open(os.path.join(d, "idle.txt")).read()

    def cpu_ticks(stat):
        f = stat.split(")")[1].split()
        return int(f[11]) + int(f[12])  # utime + stime

    def ctxt(text):
        return sum(int(x) for x in re.findall(r"ctxt_switches:\s+(\d+)", text))

    hz = 100
    cpu = (cpu_ticks(end.splitlines()[0]) - cpu_ticks(start.splitlines()[0])) / hz
    wake = (ctxt(end) - ctxt(start)) / a.idle
    hwm = int(re.search(r"VmHWM:\s+(\d+) kB", end).group(1))
    print(f"  CPU {cpu:.2f} s in {a.idle} s; {wake:.2f} wakeups/s (export interval: 1/15 = 0.07/s); "
          f"peak RSS {hwm / 1024:.1f} MiB", flush=True)
    res["idle"] = {"cpu_s": cpu, "wakeups_per_s": wake, "peak_rss_kib": hwm}
    with open(os.path.join(a.out, "bench.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(f"results: {a.out}/bench.json")


if __name__ == "__main__":
    main()
