#!/usr/bin/env python3
"""make bench: zpcitrace's costs, measured side by side in one run; figures and ratios (these machines are
noisy: compare ratios, not absolute times). docs/performance.md explains the method.

1. storm (x86 host): a raw_tp program run by BPF_PROG_TEST_RUN emits zpcitrace's own records for many
   functions as fast as it can; the loader's consumer only counts them (producer-only rate), or correlates
   them, or correlates and records them to a capture (as 'zpcitrace record').
2. report: 'zpcitrace report' on that capture (>= 1 million events).
3. start-up and module attach against a minimal libbpf loader (tests/bench/minload.c: zpcitrace's own object,
   the same programs, nothing else), in one guest run each, taking turns: Debian 7.3 (kprobes, interpreter)
   and the JIT kernel (fentry). Medians over rounds after a warm-up round; where zpcitrace's time went (-v).
4. per-hook cost against bpftrace (s390x guest, the 7.3 JIT kernel: Debian's bpftrace needs a JIT): four
   zpcitrace instances (the exporter, the exporter with --kprobes, the live view, record) and tests/bench/zpcitrace.bt
   (the same job on the same hooks) trace the same overflow scenario side by side, with
   kernel.bpf_stats_enabled=1; each tracer's run_time_ns per hook call, over rounds after a warm-up round.
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


OFFERED = 1_000_000  # events/s the paced storm offers beside a build


def storm(a, mode, secs, fns, capture="/dev/null", rate=0):
    out = subprocess.run([a.storm, mode, str(secs), str(fns), capture, str(rate)], capture_output=True, text=True)
    if out.returncode not in (0, 3):
        sys.exit(f"bench: storm {mode} failed: {out.stderr}")
    return {k: v for k, v in re.findall(r"(\w+)=(\S+)", out.stdout)}


def guest(a, name, conf, kernel=None, initrd=None, timeout=400, mem=1024, smp=1, initrd_default=None):
    out = os.path.join(a.out, name)
    boot = ["--kernel", kernel] if kernel else ["--kernel-dir", a.kernel_dir]
    cmd = [sys.executable, BED, "run", *boot, "--initrd", initrd or a.initrd, "--out", out,
           "--timeout", str(timeout), "--mem", str(mem), "--smp", str(smp)] + sum([["--conf", c] for c in conf], [])
    subprocess.run(cmd, check=True)
    return os.path.join(out, "out")


# zpcitrace's program name stem per hooked function (bpf/zpcitrace.bpf.c; user/hooks.c)
HOOKS = {"zpci_event_error": "event_error", "zpci_store_pci_error": "store",
         "vfio_pci_core_aer_err_detected": "notify", "vfio_pci_zdev_feature_err": "feature",
         "zpci_get_pending_error": "get", "zpci_start_mediated_recovery": "start",
         "zpci_stop_mediated_recovery": "stop", "zpci_event_availability": "avail", "zpci_hot_reset_device": "reset"}


# the tracers compared, in start order: zpcitrace instances told apart by the maps their programs share (the
# guest starts ZT_TRACE first, then ZT_MORE_TRACES in order, so map ids rise with the order), then bpftrace
ZPCITRACES = (("exporter", '--prom /tmp/out/bench.prom'),          # the always-on mode, fentry on this kernel
              ("exporter --kprobes", '--prom /tmp/out/bench2.prom --kprobes'),  # like for like with bpftrace
              ("live view", '-v'),                                   # polls every 100 ms, fentry
              ("record", 'record -w /tmp/out/bench.jsonl'))          # polls every second, fentry
TOOLS = tuple(name for name, _ in ZPCITRACES) + ("bpftrace",)


def hook_of(prog):
    """(zpcitrace or bpftrace, hooked function, is the entry program) of a BPF program's name, or None"""
    for func, stem in HOOKS.items():
        m = re.fullmatch(rf"(fentry|fexit|kprobe|kretprobe)_{stem}(_jit)?", prog)
        if m:
            return "zpcitrace", func, m.group(1) in ("fentry", "kprobe")
        m = re.fullmatch(rf"(kprobe|kretprobe)_{func}_\d+", prog)
        if m:
            return "bpftrace", func, m.group(1) == "kprobe"
    return None


def zpcitrace_instances(progs):
    """prog id -> index of its zpcitrace instance: programs sharing a map belong to one (union-find)"""
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x
    for p in progs:
        ids = p.get("map_ids", [])
        for m in ids[1:]:
            parent[find(m)] = find(ids[0])
    groups = {}
    for p in progs:
        if p.get("map_ids"):
            groups.setdefault(find(p["map_ids"][0]), []).append(p)
    order = sorted(groups.values(), key=lambda g: min(min(p["map_ids"]) for p in g))
    return {p["id"]: i for i, g in enumerate(order) for p in g}


def per_hook_cost(warm, end):
    """per hooked function: its calls, and each tracer's program time (ns) over them, from two bpftool snapshots"""
    before = {p["id"]: p for p in warm}
    ours = [p for p in end if (hook_of(p.get("name", "")) or ("",))[0] == "zpcitrace"]
    instance = zpcitrace_instances(ours)
    if len(set(instance.values())) != len(ZPCITRACES):
        sys.exit(f"bench: {len(set(instance.values()))} zpcitrace instances in the guest, not {len(ZPCITRACES)}")
    rows = {}
    for p in end:
        h = hook_of(p.get("name", ""))
        if not h:
            continue
        tool, func, entry = h
        if tool == "zpcitrace":
            tool = TOOLS[instance[p["id"]]]
        b = before.get(p["id"], {})
        runs = p.get("run_cnt", 0) - b.get("run_cnt", 0)
        ns = p.get("run_time_ns", 0) - b.get("run_time_ns", 0)
        r = rows.setdefault(func, dict({t: 0 for t in TOOLS}, calls=0))
        r[tool] += ns
        if tool == TOOLS[0] and entry:
            r["calls"] = runs  # the entry program runs once per call of the hooked function
    return rows


def paired_ratio(ours, floor):
    """the median over rounds of ours / floor, each pair measured in the same round"""
    if len(ours) != len(floor):
        sys.exit(f"bench: {len(ours)} rounds of zpcitrace, {len(floor)} of the minimal loader")
    return median([o / f for o, f in zip(ours, floor)])


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return (xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2) if n else float("nan")


# the programs zpcitrace attaches on each kernel (checked against what it says it attached): the minimal loader's
PROGS_KPROBE = ("kprobe_event_error kprobe_store kretprobe_store kprobe_notify kprobe_feature kretprobe_feature "
                "kprobe_get kretprobe_get kprobe_start kretprobe_start kprobe_stop kretprobe_stop kprobe_avail "
                "kprobe_reset kretprobe_reset")
PROGS_FENTRY = " ".join(p.replace("kretprobe_", "fexit_").replace("kprobe_", "fentry_") for p in PROGS_KPROBE.split())
PROGS_MODULE = "kprobe_notify kprobe_feature kretprobe_feature"
COSTS = re.compile(r"where it went: ([\d.]+) ms: finding the functions ([\d.]+) ms \((\d+) reads of /proc/kallsyms\), "
                   r"objects ([\d.]+) ms \((\d+) loaded, (\d+) programs verified\), attach ([\d.]+) ms \((\d+) links\)")
COST_KEYS = ("total", "lookup", "kallsyms_reads", "objects", "object_count", "programs", "attach", "links")


def costs(line):
    m = COSTS.search(line)
    return dict(zip(COST_KEYS, map(float, m.groups()))) if m else None


def startup(a, label, kernel, initrd, progs, modattach):
    """zpcitrace's start (and module attach) against minload's, in one guest run; round 0 warms up"""
    n = a.startup_rounds + 1
    conf = [f"ZT_STARTUP={n}", f'ZT_MINLOAD_PROGS="{progs}"']
    if modattach:
        conf += [f"ZT_MODATTACH={n}", f'ZT_MINLOAD_MODULE="{PROGS_MODULE}"']
    d = guest(a, f"startup-{label}", conf, kernel=kernel, initrd=initrd, timeout=1500, smp=2)
    res = {}
    ready, parts = [], []
    for r in range(1, n):
        err = open(os.path.join(d, f"startup{r}.err")).read()
        attached = " ".join(re.findall(r"^  prog (\S+) ", err, re.M))
        if attached != progs:
            sys.exit(f"bench: zpcitrace attached '{attached}' on {label}, the minimal loader '{progs}'")
        ready.append(float(re.search(r"^zpcitrace: ready ([\d.]+) ms after the start", err, re.M).group(1)))
        parts.append(costs(err))
    mins = [float(x) for x in re.findall(r"ring buffer in ([\d.]+) ms", open(os.path.join(d, "startup-min.txt")).read())][1:]
    stats = re.findall(r"verified (\S+) in ([\d.]+) ms \((\d+) insns", open(os.path.join(d, "startup-stats.txt")).read())
    # each round runs both back to back: the median of the rounds' ratios cancels the guest's speed drifting
    # between rounds (under TCG it does, by 2x and more, with the host's load), which a ratio of medians does not
    res["start"] = {"zpcitrace_ms": ready, "minload_ms": mins, "ratio": paired_ratio(ready, mins),
                    "ratio_of_medians": median(ready) / median(mins),
                    "parts": {k: median([p[k] for p in parts]) for k in COST_KEYS},
                    "verify_ms": {p: float(ms) for p, ms, _ in stats}, "insns": {p: int(i) for p, _, i in stats}}
    st = res["start"]
    pr = st["parts"]
    print(f"  {label}: start-up (main to tracing), median of {n - 1}: zpcitrace {median(ready):.0f} ms, minimal loader "
          f"{median(mins):.0f} ms; the rounds' ratios: median {st['ratio']:.2f} (goal <= 1.2), ratio of the medians "
          f"{st['ratio_of_medians']:.2f}; rounds: zpcitrace "
          + " ".join(f"{x:.0f}" for x in ready) + ", minload " + " ".join(f"{x:.0f}" for x in mins), flush=True)
    print(f"    where zpcitrace's went (medians): objects {pr['objects']:.0f} ms ({pr['object_count']:.0f} loaded, "
          f"{pr['programs']:.0f} programs: open, libbpf's BTF and relocations, verification), attach {pr['attach']:.0f} ms "
          f"({pr['links']:.0f} links), finding the functions {pr['lookup']:.0f} ms "
          f"({pr['kallsyms_reads']:.0f} reads of /proc/kallsyms)")
    print("    verification per program (the kernel's own figure, minimal loader): "
          + ", ".join(f"{p} {ms:.0f} ms" for p, ms in sorted(st["verify_ms"].items(), key=lambda x: -x[1]))
          + f"; all {sum(st['verify_ms'].values()):.0f} ms", flush=True)
    if modattach:
        zt = []
        for r in range(1, n):
            m = re.search(r"^zpcitrace: module hooks attached in (.*)$", open(os.path.join(d, f"modattach{r}.err")).read(), re.M)
            zt.append(costs("where it went: " + m.group(1)) if m else None)
        if None in zt:
            sys.exit(f"bench: zpcitrace did not attach the module's hooks in every round: {d}")
        mins = [float(x) for x in re.findall(r"ring buffer in ([\d.]+) ms", open(os.path.join(d, "modattach-min.txt")).read())][1:]
        tot = [c["total"] for c in zt]
        res["module"] = {"zpcitrace_ms": tot, "minload_ms": mins, "ratio": paired_ratio(tot, mins),
                         "ratio_of_medians": median(tot) / median(mins),
                         "parts": {k: median([c[k] for c in zt]) for k in COST_KEYS}}
        pr = res["module"]["parts"]
        print(f"  {label}: module attach (vfio_pci_core announced to hooks live), median of {n - 1}: zpcitrace "
              f"{median(tot):.0f} ms, minimal loader of the same 3 programs {median(mins):.0f} ms; the rounds' ratios: "
              f"median {res['module']['ratio']:.2f} (goal <= 1.2), ratio of the medians "
              f"{res['module']['ratio_of_medians']:.2f}; objects {pr['objects']:.0f} ms, finding the "
              f"functions {pr['lookup']:.0f} ms, attach {pr['attach']:.0f} ms", flush=True)
    return res


def sharing_build(a):
    """another build on this host: zpcitrace itself, built again and again into a directory of its own"""
    out = os.path.join(a.out, "sharing")
    return subprocess.Popen(["bash", "-c", f"while :; do make -s -B -j2 OUT={out} BIN={out}/zpcitrace {out}/zpcitrace "
                             ">/dev/null 2>&1; done"], start_new_session=True)


def vs_bpftrace(a, d):
    """section 4's figures from the guest's bpftool snapshots in d"""
    bt_rc = open(os.path.join(d, "bpftrace.rc")).read().strip() if os.path.exists(os.path.join(d, "bpftrace.rc")) else "?"
    if bt_rc != "0" or not os.path.exists(os.path.join(d, "progs.json")):
        sys.exit(f"bench: bpftrace did not run through (rc {bt_rc}): {d}/bpftrace.err")
    warm = json.load(open(os.path.join(d, "progs-warm.json")))
    rows = per_hook_cost(warm, json.load(open(os.path.join(d, "progs.json"))))
    snaps = [warm] + [json.load(open(os.path.join(d, f"progs-round{i}.json"))) for i in range(1, a.rounds + 1)]
    per_round = [per_hook_cost(x, y) for x, y in zip(snaps, snaps[1:])]
    print("  ns of program time per call of the hooked function over all rounds; ratio = zpcitrace / bpftrace, the "
          "median of the rounds' ratios (a vCPU descheduled while a program runs inflates that round only)")
    print(f"  {'':31} {'calls':>5}" + "".join(f" {t:>18}" for t in TOOLS) + "".join(f" {'ratio':>6}" for _ in TOOLS[:-1]))
    tot = dict.fromkeys(TOOLS, 0)
    worst = {t: (0.0, "") for t in TOOLS[:-1]}
    worst_sums = {t: (0.0, "") for t in TOOLS[:-1]}
    hook_ratios = {}
    for func in HOOKS:
        r = rows.get(func)
        if not r or not r["calls"]:
            continue
        per = {t: r[t] / r["calls"] for t in TOOLS}
        for t in TOOLS:
            tot[t] += r[t]
        bt = per["bpftrace"] or float("nan")
        rounds = [x[func] for x in per_round if func in x and x[func]["calls"] and x[func]["bpftrace"]]
        ratio = {t: median([x[t] / x["bpftrace"] for x in rounds]) for t in TOOLS[:-1]}
        hook_ratios[func] = ratio
        for t in TOOLS[:-1]:
            if ratio[t] > worst[t][0]:
                worst[t] = (ratio[t], func)
            if per[t] / bt > worst_sums[t][0]:
                worst_sums[t] = (per[t] / bt, func)
        print(f"  {func:31} {r['calls']:>5}" + "".join(f" {per[t]:>18.0f}" for t in TOOLS)
              + "".join(f" {ratio[t]:>6.2f}" for t in TOOLS[:-1]))
    bt = tot["bpftrace"] or float("nan")
    ratios = {t: tot[t] / bt for t in TOOLS[:-1]}
    print("  all hooks, program time: " + ", ".join(f"{t} {tot[t] / 1e6:.1f} ms" for t in TOOLS), flush=True)
    print("  ratio to bpftrace: " + ", ".join(f"{t} {ratios[t]:.2f}" for t in TOOLS[:-1]) + " (goal <= 0.5)",
          flush=True)
    print("  the dearest hook of each (goal: every hook <= 0.5): " + ", ".join(f"{t} {w[1]} {w[0]:.2f}" for t, w in worst.items()),
          flush=True)
    print("    by the sums over all rounds instead: " + ", ".join(f"{t} {w[1]} {w[0]:.2f}" for t, w in worst_sums.items()),
          flush=True)
    return {"rounds": a.rounds, "hooks": rows, "totals_ns": tot, "ratios": ratios, "hook_ratios": hook_ratios,
            "worst": {t: {"hook": w[1], "ratio": w[0]} for t, w in worst.items()},
            "worst_by_sums": {t: {"hook": w[1], "ratio": w[0]} for t, w in worst_sums.items()}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zpcitrace", required=True)
    ap.add_argument("--storm", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--kernel-dir", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--idle", type=int, default=60)
    ap.add_argument("--jit-kernel", required=True, help="the 7.3 s390x kernel with the BPF JIT")
    ap.add_argument("--bpftrace-initrd", required=True, help="the bed's initramfs with bpftrace's root at /bt")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--startup-rounds", type=int, default=9)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    res = {}

    print("== 1. storm on this host: 64 functions, one core producing, one consuming", flush=True)
    prod = storm(a, "count", a.seconds, 64)
    corr = storm(a, "correlate", a.seconds, 64)
    cap = os.path.join(a.out, "storm.jsonl")
    rec = storm(a, "loader", a.seconds, 64, cap)
    build = sharing_build(a)
    time.sleep(2)  # the build under way
    try:
        shared = storm(a, "loader", a.seconds, 64, cap + ".shared")
        os.unlink(cap + ".shared")
        # offered 1 M/s as a kernel's error path would offer them, not by a core spinning (which takes its
        # share of the CPU from the loader): keeping up is every record consumed at the rate offered
        paced = storm(a, "loader", a.seconds, 64, cap + ".shared", OFFERED)
        os.unlink(cap + ".shared")
    finally:
        os.killpg(build.pid, 15)
        build.wait()
    for name, r in (("producer only (consumer counts)", prod), ("loader: correlate", corr),
                    ("loader: correlate + record", rec), ("  the same, a build sharing the host", shared),
                    (f"  offered {OFFERED / 1e6:g} M/s, a build sharing", paced)):
        print(f"  {name:34} {float(r['consumed_per_s']) / 1e6:7.3f} M events/s consumed, "
              f"{int(r['ringbuf_drops']):>10} counted drops, {r['uncounted']} uncounted, the loader's CPU "
              f"{r['loader_cpu_ns_per_event']} ns an event", flush=True)
    for name, r in (("correlate", corr), ("correlate + record", rec)):
        print(f"  ratio {name} / producer-only: {float(r['consumed_per_s']) / float(prod['consumed_per_s']):.3f}")
    # kept up: the producer was not slowed below the rate offered (past half full every record wakes the
    # loader, which slows it when the loader falls behind), nothing dropped, everything consumed
    kept_up = (float(paced["produced_per_s"]) >= 0.99 * OFFERED and int(paced["ringbuf_drops"]) == 0
               and int(paced["uncounted"]) == 0)
    print(f"  recording while a build shares the host: offered {OFFERED / 1e6:g} M events/s, produced "
          f"{float(paced['produced_per_s']) / 1e6:.3f} M/s, {paced['ringbuf_drops']} dropped, {paced['uncounted']} "
          f"uncounted: {'kept up' if kept_up else 'did not keep up'} (goal: keeps up at 1 M/s, 0 uncounted); "
          f"the most it took with the producer spinning: {float(shared['consumed_per_s']) / 1e6:.3f} M/s, "
          f"{shared['uncounted']} uncounted", flush=True)
    res["storm"] = {"producer": prod, "correlate": corr, "record": rec, "record_shared": shared,
                    "record_shared_offered": paced, "kept_up": kept_up}

    print("== 2. zpcitrace report on the storm's capture", flush=True)
    t = time.time()
    out = subprocess.run([a.zpcitrace, "report", "-j", cap], capture_output=True, text=True)
    dt = time.time() - t
    n = json.loads(out.stdout)["counters"]["arrived"] * 3 if out.returncode == 0 else 0
    size = os.path.getsize(cap)
    print(f"  {n} events ({size / 1e6:.0f} MB) in {dt:.2f} s: {n / dt / 1e6:.3f} M events/s", flush=True)
    res["report"] = {"events": n, "seconds": dt, "bytes": size}
    os.unlink(cap)
    os.sync()  # the captures' gigabytes written back now, not while the guests below are timed

    print(f"== 3. start-up and module attach against a minimal libbpf loader, s390x guests (TCG, 2 vCPUs), "
          f"{a.startup_rounds} rounds after a warm-up", flush=True)
    res["startup"] = {"debian-7.3": startup(a, "debian-7.3 (kprobes)", None, a.initrd, PROGS_KPROBE, True),
                      "jit-7.3": startup(a, "jit-7.3 (fentry)", a.jit_kernel, a.bpftrace_initrd, PROGS_FENTRY, False)}

    print(f"== 4. per-hook cost against bpftrace: s390x guest (TCG, 7.3 with the JIT), the overflow scenario, "
          f"1 warm-up + {a.rounds} measured rounds (bpftrace compiles for minutes under TCG)", flush=True)
    more = ";".join(args for _, args in ZPCITRACES[1:])
    d = guest(a, "vs-bpftrace", [f'ZT_TRACE="{ZPCITRACES[0][1]}"', f'ZT_MORE_TRACES="{more}"', "ZT_BPF_STATS=1",
                                 "ZT_BPFTRACE=1", f"ZT_ROUNDS={a.rounds}",
                                 'ZT_VMM="open error error error error error error drain close"'],
              kernel=a.jit_kernel, initrd=a.bpftrace_initrd, timeout=1500, mem=2048, smp=2)
    res["vs_bpftrace"] = vs_bpftrace(a, d)

    print(f"== 5. idle in the guest: --prom -i 15, {a.idle} s without errors", flush=True)
    d = guest(a, "idle", ['ZT_TRACE="--prom /tmp/out/idle.prom -i 15"', f"ZT_IDLE={a.idle}", 'ZT_VMM=""'])
    start, end = open(os.path.join(d, "idle-start.txt")).read(), open(os.path.join(d, "idle.txt")).read()

    def cpu_ticks(stat):
        f = stat.split(")")[1].split()
        return int(f[11]) + int(f[12])  # utime + stime

    def ctxt(text, kind):  # "voluntary_": its own sleeps, each ended by a wakeup; "nonvoluntary_": preemptions
        return sum(int(x) for x in re.findall(rf"^{kind}ctxt_switches:\s+(\d+)", text, re.M))

    hz = 100
    cpu = (cpu_ticks(end.splitlines()[0]) - cpu_ticks(start.splitlines()[0])) / hz
    wake = (ctxt(end, "voluntary_") - ctxt(start, "voluntary_")) / a.idle
    preempted = (ctxt(end, "nonvoluntary_") - ctxt(start, "nonvoluntary_")) / a.idle
    hwm = int(re.search(r"VmHWM:\s+(\d+) kB", end).group(1))
    print(f"  CPU {cpu:.2f} s in {a.idle} s; {wake:.2f} wakeups/s (voluntary switches; the export interval: 1/15 = "
          f"0.07/s), {preempted:.2f} preemptions/s; "
          f"peak RSS {hwm / 1024:.1f} MiB", flush=True)
    res["idle"] = {"cpu_s": cpu, "wakeups_per_s": wake, "preemptions_per_s": preempted, "peak_rss_kib": hwm}
    with open(os.path.join(a.out, "bench.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(f"results: {a.out}/bench.json")


if __name__ == "__main__":
    main()
