#!/usr/bin/env python3
"""End-to-end tests of zpcitrace in the s390x bed. Each scenario boots a guest kernel, runs zpcitrace around the
guest VMM program (zpci_vmm), and compares what zpcitrace printed with what the VMM observed (its "GT" lines:
what it read back and the error notifications it got, not what it meant to provoke, since QEMU now and then
raises two events for one trigger) and with the guest's dmesg.

  e2e.py --bed NAME=VMLINUZ,INITRD ... --out DIR [-k SCENARIO]

Beds: debian-7.3 (Debian's kernel: no BPF JIT, kprobes), jit-7.3 (the same series built with the JIT:
fentry/fexit), v12-7.3 (that kernel with the seed's v12 uAPI: feature 12, dequeued inline), debian-6.12 (no error
queue: zpcitrace degrades), system-7.3 (Debian's kernel booting a Debian sid root with systemd: the packages and
services, tests/e2e/system.py). Ends with "N passed, N failed".
"""
import argparse
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

from parse import (books_of_text, gt_notified, gt_reads, kv, parse_gt, parse_summary, parse_trace, parse_trace_json,
                   parse_trace_jsonl, prom_samples, text_form)
from alerts import free_port, scenario_alerts
from system import scenario_system

HERE = os.path.dirname(os.path.abspath(__file__))
ALL_HOOKS = ["zpci_event_error", "zpci_store_pci_error", "vfio_pci_core_aer_err_detected",
             "vfio_pci_zdev_feature_err", "zpci_get_pending_error", "zpci_start_mediated_recovery",
             "zpci_stop_mediated_recovery", "zpci_event_availability", "zpci_hot_reset_device"]
MODULE_HOOKS = {"vfio_pci_core_aer_err_detected", "vfio_pci_zdev_feature_err"}


class Run:
    def __init__(self, out):
        self.dir = os.path.join(out, "out")
        self.trace_err = open(self.path("trace.err")).read()
        # a -j run's summary object (self.j), or a text run's summary (self.summary and the tables below)
        first = open(self.path("trace.txt")).readline()
        if first.startswith("{"):
            self.trace, self.j = parse_trace_jsonl(self.path("trace.txt"))
        else:
            self.trace, self.j = parse_trace(self.path("trace.txt")), None
        # the VMM's ground truth (a scenario of guests has one file per guest instead)
        self.gt = parse_gt(self.path("vmm.txt")) if os.path.exists(os.path.join(self.dir, "vmm.txt")) else []
        self.dmesg = open(self.path("dmesg.txt")).read()
        self.trace_rc = int(open(self.path("trace.rc")).read())
        pre = os.path.join(self.dir, "pre.txt")
        self.pre = open(pre).read() if os.path.exists(pre) else ""
        (self.summary, self.hooks, self.functions, self.books, self.latency) = parse_summary(self.trace_err)
        if self.j:
            self.summary = self.j["counters"]
            # a function's counters beside its other fields (no key is in both)
            self.functions = {f["fid"]: {**f, **f["counters"]} for f in self.j["functions"]}
            self.books = {fid: f["books"] for fid, f in self.functions.items()}
        else:
            self.books = books_of_text(self.books)

    def path(self, name):
        p = os.path.join(self.dir, name)
        if not os.path.exists(p):
            raise AssertionError(f"the guest produced no {name} (see {os.path.dirname(self.dir)}/console.log)")
        return p

    def events(self, *names):
        return [e for e in self.trace if e["event"] in names]

    def gt_of(self, what):
        return [f for w, f in self.gt if w == what]

    def reads(self):
        return gt_reads(self.gt)

    def vmm2(self):
        """the ground truth of the VMM session after a module reload"""
        return parse_gt(self.path("vmm2.txt"))

    def notified(self):
        return gt_notified(self.gt)


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, fn):
        try:
            fn()
            self.passed += 1
            print(f"ok   {name}", flush=True)
        except AssertionError as e:
            self.failed += 1
            print(f"FAIL {name}: {e}", flush=True)
        except Exception:
            self.failed += 1
            print(f"FAIL {name}: {traceback.format_exc()}", flush=True)


def eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: zpcitrace {got!r} != expected {want!r}")


def ccdf_of(f):
    return (int(f["fid"], 16), int(f["fh"], 16), int(f["pec"], 16), int(f["faddr"], 16))


def dmesg_reports(r, arrival):
    """the kernel logged this error"""
    want = f"Event 0x{int(arrival['pec'], 16):x} reports an error for PCI function 0x{int(arrival['fid'], 16):x}"
    if want not in r.dmesg:
        raise AssertionError(f"dmesg lacks '{want}'")


def enqueued(r, result):
    return [e for e in r.events("enqueue") if e["result"] == result]


BUCKETS = ["dropped", "not_stored", "unknown", "not_queued", "dequeued", "lost", "discarded", "pending", "unseen"]


def books_balance(r, p, c):
    """every scenario: each error of each function in exactly one bucket, none of them dequeued unseen"""
    def balance():
        if not r.books and r.functions:
            raise AssertionError("the summary has no books table")
        for fid, b in r.books.items():
            eq(b["arrived"] + b["queued_before_start"], sum(b[k] for k in BUCKETS),
               f"fid {fid}: arrived + queued at start vs buckets")
            eq(b["balanced"], True, f"fid {fid}: balanced")
            eq(b["unseen"], 0, f"fid {fid}: dequeued unseen (zpcitrace saw every dequeue)")
            arrived = r.functions[fid]["arrived"] if r.j else int(r.functions[fid]["ARRIVED"])
            eq(b["arrived"], arrived, f"fid {fid}: arrivals in both tables")
    c.check(f"{p}: the books balance: every error in exactly one bucket, none dequeued unseen", balance)


def assert_schema(*files):
    """each JSON object in the files valid against docs/zpcitrace.schema.json, no key with a space, the counters
    facts.md's rows (tests/host/schema.py, with Debian's python3-jsonschema)"""
    out = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "..", "host", "schema.py")] + list(files),
                         capture_output=True, text=True)
    if out.returncode:
        raise AssertionError(f"not the JSON contract: {(out.stdout + out.stderr).strip()}")


def json_contract(r, p, c, *more):
    """every -j run: its lines and the other JSON files it wrote (status -j) hold to the contract"""
    c.check(f"{p}: every JSON object it wrote validates against the schema; no key holds a space",
            lambda: assert_schema(r.path("trace.txt"), *[os.path.join(r.dir, f) for f in more]))


class Bed:
    def __init__(self, name, kernel, initrd, checks):
        self.name, self.kernel, self.initrd, self.checks = name, kernel, initrd, checks

    def boot(self, args, scenario, vmm, trace="-j -v", conf=(), functions=2):
        out = os.path.join(args.out, self.name, scenario)
        cmd = [sys.executable, os.path.join(HERE, "bed.py"), "run", "--kernel", self.kernel, "--initrd", self.initrd,
               "--out", out, "--timeout", "300", "--conf", f'ZT_TRACE="{trace}"', "--conf", f'ZT_VMM="{vmm}"',
               "--functions", str(functions)]
        for c in conf:
            cmd += ["--conf", c]
        subprocess.run(cmd, check=True)
        r = Run(out)
        if r.books or r.functions:
            books_balance(r, f"{self.name}/{scenario}", self.checks)
        if r.j:
            status = ["status.json"] if os.path.exists(os.path.join(r.dir, "status.json")) else []
            json_contract(r, f"{self.name}/{scenario}", self.checks, *status)
        return r


# ---- scenarios: fn(args, bed, checks); the name of each check starts with bed/scenario -------------------

def scenario_pecs(args, bed, c):
    """both PECs the bed can raise, each read back at once; the PROBE call; -T"""
    r = bed.boot(args, "pecs", "open probe get error drain error-low drain close", trace="-T -v")
    gets = r.gt_of("get")
    p = f"{bed.name}/pecs"

    def provoked_both_pecs():
        pecs = {int(g["pec"], 16) for g in r.reads()}
        if not {0x0004, 0x0002} <= pecs:
            raise AssertionError(f"the guest read back PECs {sorted(pecs)}, wanted 0x4 and 0x2")
    c.check(f"{p}: the guest VMM provoked and read real PEC 0x0004 and 0x0002 errors", provoked_both_pecs)

    c.check(f"{p}: zpcitrace exited 0 on SIGINT with a summary",
            lambda: (eq(r.trace_rc, 0, "exit code"), eq("arrived" in r.summary, True, "summary")))
    c.check(f"{p}: each arrival's fid, fh, PEC and faddr equal the CCDF the guest read back",
            lambda: eq([ccdf_of(e) for e in r.events("arrival")], [ccdf_of(g) for g in r.reads()], "arrivals"))

    def dequeues_match():
        got = [(e["rc"], ccdf_of(e) if e["rc"] == "0" else None) for e in r.events("dequeue")]
        want = [({"0": "0", "-42": "-ENOMSG"}.get(g["rc"], g["rc"]), ccdf_of(g) if g["rc"] == "0" else None)
                for g in gets]
        eq(got, want, "dequeues (rc, ccdf)")
    c.check(f"{p}: each dequeue's result and CCDF equal the guest's GET (0 or -ENOMSG)", dequeues_match)
    c.check(f"{p}: the PROBE call is reported with its result",
            lambda: eq([e["rc"] for e in r.events("probe")], [g["rc"] for g in r.gt_of("probe")], "probes"))

    def callers():
        eq({e["comm"] for e in r.events("arrival", "enqueue", "notify")}, {"kmcheck"}, "enqueue context")
        eq({e["comm"] for e in r.events("dequeue", "open", "close")}, {"zpci_vmm"}, "dequeue caller")
    c.check(f"{p}: enqueue runs in kmcheck, dequeue/open/close in the VMM process", callers)

    def timestamps():
        if not r.trace or any(e["ts"] is None for e in r.trace):
            raise AssertionError("-T: an event line without a timestamp")
        ts = [e["ts"] for e in r.trace]
        eq(ts, sorted(ts), "event order by -T timestamp")
    c.check(f"{p}: -T prefixes every event with its time, in order", timestamps)

    c.check(f"{p}: dmesg reports each traced arrival", lambda: [dmesg_reports(r, e) for e in r.events("arrival")])


def scenario_one(args, bed, c):
    """one error, read at once: arrival, stored, notify, dequeue, -ENOMSG; attach modes"""
    r = bed.boot(args, "one", "open error get get close", trace="-T -v --fid 0x1", conf=["ZT_BPF_STATS=1"])
    p = f"{bed.name}/one"

    def lifecycle():
        seq = [(e["event"], e.get("result") or e.get("rc")) for e in r.events(
            "open", "arrival", "enqueue", "notify", "dequeue", "close")]
        eq(seq, [("open", None), ("arrival", None), ("enqueue", "stored"), ("notify", None), ("dequeue", "0"),
                 ("dequeue", "-ENOMSG"), ("close", None)], "event sequence")
    c.check(f"{p}: open, arrival, stored, notify, dequeue ok, -ENOMSG, close, in that order", lifecycle)

    def same_error():
        (g,) = r.reads()
        (a,), (s,), (d,) = r.events("arrival"), r.events("enqueue"), [e for e in r.events("dequeue") if e["rc"] == "0"]
        eq([ccdf_of(a), ccdf_of(s), ccdf_of(d)], [ccdf_of(g)] * 3, "CCDF at arrival, enqueue, dequeue")
        eq(d["slot"], s["slot"], "dequeued slot")
        eq((s["queue"], d["queue"]), ("1", "0"), "queue depth after enqueue and dequeue")
        eq(s["via"], "store-hook", "enqueue outcome source")
        (n,) = r.events("notify")
        eq((n["state"], n["pci"]), ("frozen", "0001:00:00.0"), "notify channel state and PCI address")
    c.check(f"{p}: the stored error is the one dequeued, from the same slot; notify says frozen", same_error)

    mode = "fentry" if bed.name.startswith("jit") else "kprobe"

    def modes():
        want = {h: (mode, "vfio_pci_core" if h in MODULE_HOOKS and not bed.name.startswith("jit") else None)
                for h in ALL_HOOKS}
        eq(r.hooks, want, "hooks in the exit summary")
        verbose = dict(re.findall(r"^zpcitrace: hook (\S+) +\S+ +(\S+)", r.trace_err, re.M))
        eq(verbose, {h: mode for h in ALL_HOOKS}, "hooks reported by -v")
        eq((r.trace_err.count("zpcitrace: uapi merged: feature 13, "), r.trace_err.count("\n  uapi merged: feature 13, ")),
           (1, 1), "the uapi form, by -v and in the exit summary")
    c.check(f"{p}: every hook is attached as {mode}, reported by -v and in the exit summary, with the uapi form", modes)

    def start_says_what_it_does():
        # one object for all the hooks present at the start, those in vfio_pci_core too
        for stage in ("finding the hooked functions",
                      "loading and verifying the BPF programs for vmlinux( and vfio_pci_core)?", "reading the queues"):
            eq(len(re.findall(f"^zpcitrace: {stage}$", r.trace_err, re.M)), 1, f"-v lines for the stage '{stage}'")
        # a load that took longer than 5 s (by zpcitrace's own clock; a busy host makes it long) said so while it
        # lasted; fast ones have nothing to say. The notice comes within 100 ms of 5 s: 7 s leaves it room
        (took_ms,) = re.findall(r"^zpcitrace: loaded and attached in ([\d.]+) ms$", r.trace_err, re.M)
        if float(took_ms) > 7000 and not re.search(r"^zpcitrace: still starting after \d+ s: \S", r.trace_err, re.M):
            raise AssertionError(f"a load of {float(took_ms) / 1000:.1f} s said nothing while it lasted")
    c.check(f"{p}: -v names each start stage; a start longer than 5 s says which stage it is in", start_says_what_it_does)

    def prog_stats():
        # -v at exit: "prog NAME FUNC N runs T ns/run" per attached program (kernel.bpf_stats_enabled=1)
        stats = {(f, n.split("_")[0]): (int(runs), float(ns)) for n, f, runs, ns in
                 re.findall(r"^  prog (\S+) +(\S+) +(\d+) runs +([\d.]+) ns/run$", r.trace_err, re.M)}
        entry = "fentry" if mode == "fentry" else "kprobe"
        # fentry on the JIT kernel; on Debian's (no JIT) the plain kprobes, which call no kfunc (the interpreter
        # refuses a program with one)
        eq([n for n, _, _, _ in re.findall(r"^  prog (\S+) +(\S+) +(\d+) runs +([\d.]+) ns/run$", r.trace_err, re.M)
            if n.endswith("_jit")], [], "_jit twins attached")
        arrivals = stats[("zpci_event_error", entry)]
        feature = stats[("vfio_pci_zdev_feature_err", entry)]
        eq(arrivals[0], len(r.events("arrival")), "runs of the arrival program = arrival events")
        eq(feature[0], len(r.events("dequeue", "probe", "feature")), "runs of the feature program = its events")
        if not arrivals[1] > 0 or not feature[1] > 0:
            raise AssertionError(f"no run time: {arrivals} {feature}")
    c.check(f"{p}: -v prints each program's runs and run time at exit, counting the events it made", prog_stats)


def scenario_overflow(args, bed, c, derive=False, kprobes=False):
    """six errors with no read in between: 4 stored, 2 dropped; FIFO reads; -ENOMSG"""
    name = "derived" if derive else "kprobes" if kprobes else "overflow"
    trace = "-j -v --no-hook zpci_store_pci_error" if derive else "-j -v --kprobes" if kprobes else "-j -v"
    r = bed.boot(args, name, "open error error error error error error drain close", trace=trace)
    p = f"{bed.name}/{name}"
    if kprobes:
        c.check(f"{p}: --kprobes attaches every hook as a kprobe where fentry would work",
                lambda: eq(dict(re.findall(r"^zpcitrace: hook (\S+) +\S+ +(\S+)", r.trace_err, re.M)),
                           {h: "kprobe" for h in ALL_HOOKS}, "hooks reported by -v"))

        def jit_twins():
            # a JIT kernel: the kprobes read kernel memory through bpf_core_cast, as fentry does (the _jit twins)
            names = re.findall(r"^  prog (\S+) ", r.trace_err, re.M)
            eq(len(names) >= len(ALL_HOOKS), True, f"programs at exit: {names}")
            eq([n for n in names if not re.fullmatch(r"(kprobe|kretprobe)_\w+_jit", n)], [], "programs not _jit twins")
        c.check(f"{p}: on a JIT kernel the kprobes are the _jit twins", jit_twins)
    stored, dropped = enqueued(r, "stored"), enqueued(r, "dropped-full")

    def counts():
        # QEMU now and then raises one event too many or too few for a trigger: what the guest saw rules
        if r.notified() < 5:
            raise AssertionError(f"the guest saw {r.notified()} error notifications for 6 triggers: no overflow")
        eq(len(stored), len(r.reads()), "stored = errors the guest read back")
        eq(len(stored), 4, "stored")
        eq(len(dropped), r.notified() - 4, "dropped-full = notifications the guest got beyond 4")
        eq(len(r.events("arrival")), r.notified(), "arrivals = notifications")
        eq(len(re.findall(r"Maximum number \(4\) of pending error events queued", r.dmesg)), len(dropped),
           "dropped = the kernel's 'Maximum number (4)' warnings")
    c.check(f"{p}: exactly 4 stored and the rest dropped-full, as the guest and dmesg saw", counts)

    def fifo():
        deq = [e for e in r.events("dequeue") if e["rc"] == "0"]
        eq([ccdf_of(e) for e in deq], [ccdf_of(e) for e in stored], "dequeue order vs store order")
        eq([ccdf_of(e) for e in deq], [ccdf_of(g) for g in r.reads()], "dequeued vs read by the guest")
        eq([e["slot"] for e in deq], [e["slot"] for e in stored], "slots")
        eq([e["rc"] for e in r.events("dequeue")], ["0"] * 4 + ["-ENOMSG"], "read results")
    c.check(f"{p}: four reads return them in FIFO order from their slots; the fifth is -ENOMSG", fifo)

    def summary_row():
        f = r.functions["0x00000001"]
        eq((f["stored"], f["dropped"], f["dequeued"], f["unmatched"],
            f["max_depth"], f["consumer_seen"]), (4, r.notified() - 4, 4, 0, 4, True),
           "fid 0x1: stored, dropped, dequeued, unmatched, depth, consumer")
        eq(f["enqueue_dequeue"]["count"], 4, "matched latencies")
        eq({p["pec"]: p["enqueue_dequeue"]["count"] for p in r.j["pecs"]}, {"0x0004": 4}, "matched latencies, PEC")
        if f["full_ms"] <= 0:
            raise AssertionError(f"no time at full depth: {f['full_ms']}")
    c.check(f"{p}: the summary: 4 stored, the rest dropped, 4 matched latencies for fid 0x1, time at full depth", summary_row)

    c.check(f"{p}: each dequeue's latency lies within the guest's own timestamps for that error",
            lambda: latencies_within_ground_truth(r, 4))

    def via():
        eq({e["via"] for e in r.events("enqueue")}, {"queue-state" if derive else "store-hook"}, "outcome source")
        if derive:
            eq(r.j["hooks"].get("zpci_store_pci_error"), "off", "store hook")
            eq(r.j["enqueue_derived"], True, "the summary says the outcomes were derived")
    c.check(f"{p}: the outcome source is reported ({'derived: store hook off' if derive else 'store hook'})", via)


def dequeued_ok(r):
    """the dequeues that handed the VMM an error"""
    return [e for e in r.events("dequeue") if e["rc"] == "0" and e.get("empty") != "1"]


def faddr_of(error_gt):
    """the faddr QEMU reports for an error the VMM provoked at iova (the avail ring's idx)"""
    return int(error_gt["iova"], 16) + 0x1002


def latencies_within_ground_truth(r, want):
    """the enqueue happened while the guest waited for its error (error t0..t1), the dequeue during
    its GET (get t0..t1): so latency is within [get.t0 - error.t1, get.t1 - error.t0]. The i-th dequeue that
    handed an error over is the VMM's i-th read; the error is the one provoked at the dequeue's faddr."""
    errors = {faddr_of(g): g for g in r.gt_of("error")}
    checked = 0
    for d, get in zip(dequeued_ok(r), r.reads()):
        if "latency_us" not in d:
            continue
        faddr = int(d["faddr"], 16)
        err = errors[faddr]
        lat = float(d["latency_us"]) * 1000
        lo, hi = int(get["t0"]) - int(err["t1"]), int(get["t1"]) - int(err["t0"])
        if not lo - 1000 <= lat <= hi + 1000:  # latency_us is rounded to the ns
            raise AssertionError(f"latency {lat:.0f} ns of faddr {faddr:#x} outside the guest's [{lo}, {hi}] ns")
        checked += 1
    eq(checked, want, "dequeues with a latency")


def scenario_close(args, bed, c):
    """close with 2 errors queued"""
    r = bed.boot(args, "close", "open error error close")
    p = f"{bed.name}/close"

    def discarded():
        (cl,) = r.events("close")
        m = re.findall(r"Unhandled PCI error events count=(\d+) for PCI function 0x1", r.dmesg)
        eq([cl["discarded"]], m, "discarded at close vs the kernel's count")
        eq(cl["discarded"], str(len(enqueued(r, "stored"))), "discarded = stored, none read")
        eq(cl["discarded"], "2", "discarded")
        eq((cl["queue"], cl["mr"]), ("0", "0"), "queue after close")
        eq(r.summary.get("discarded"), 2, "summary")
        eq(r.functions["0x00000001"]["discarded"], 2, "summary, fid 0x1")
    c.check(f"{p}: a close with 2 errors queued reports exactly 2 discarded", discarded)


def scenario_noreader(args, bed, c):
    """errors provoked and never read (no QEMU reads the merged uAPI yet), then close"""
    r = bed.boot(args, "noreader", "open error error error close")
    p = f"{bed.name}/noreader"

    def no_consumer():
        f = r.functions["0x00000001"]
        (cl,) = r.events("close")
        eq((f["consumer_seen"], f["no_consumer"]), (False, True), "consumer seen, no consumer")
        eq(f["discarded"], int(cl["discarded"]), "discarded")
        eq(f["discarded"], min(r.notified(), 4), "discarded = errors the guest was told about (queue holds 4)")
        eq(f["pending"], 0, "pending after close")
    c.check(f"{p}: a function whose errors nobody reads is flagged no consumer, with the discarded count", no_consumer)


def scenario_json(args, bed, c):
    """-j: JSON lines with the same fields as the text"""
    r = bed.boot(args, "json", "open error get get close", trace="-j")
    text = Run(os.path.join(args.out, bed.name, "one"))
    p = f"{bed.name}/json"

    def parses():
        lines = open(os.path.join(r.dir, "trace.txt")).read().splitlines()
        objs = [json.loads(l) for l in lines]
        eq((objs[0]["event"], objs[0]["schema"], objs[-1]["event"], objs[-1]["schema"]), ("start", 1, "summary", 1),
           "the start object first, the summary last, each with the schema's version")
        eq(type(objs[0]["realtime_offset_ns"]), int, "the wall-clock offset, once")
        # typed values: rc a number with its errno's name, pec the code with its name apart, time RFC 3339
        for o in objs[1:-1]:
            if "rc" in o and (type(o["rc"]) is not int or (o["rc"] >= 0 and "rc_name" in o)):
                raise AssertionError(f"rc not typed: {o}")
            if "pec" in o and not re.fullmatch(r"0x[0-9a-f]{4}", o["pec"]):
                raise AssertionError(f"pec not a code: {o}")
            if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", o["time"]):
                raise AssertionError(f"time not RFC 3339: {o}")
        events = [text_form(l) for l in lines[1:-1]]
        kinds = {o["event"] for o in events}
        if not {"open", "arrival", "enqueue", "notify", "dequeue", "close"} <= kinds:
            raise AssertionError(f"events {sorted(kinds)}")

        # the same kind of event (and outcome) has the same fields in both runs; two boots need not
        # see the same sequence (a reset after close may come after the tracer stopped)
        def kind(e):
            return (e["event"], e.get("rc"), e.get("result"))
        text_fields = {kind(t): set(t) - {"event", "ts"} for t in text.trace}
        for o in events:
            if kind(o) in text_fields:
                eq(set(o) - {"event", "ts"}, text_fields[kind(o)], f"fields of {kind(o)} (vs the text run)")
        eq(len({kind(o) for o in events} & set(text_fields)), len({kind(o) for o in events}), "kinds also in the text run")
        eq(objs[-1]["functions"][0]["counters"]["dequeued"], 1, "summary object")
        b = objs[-1]["functions"][0]["books"]
        eq((b["balanced"], b["unseen"], b["arrived"] + b["queued_before_start"]),
           (True, 0, sum(b[k] for k in ("dropped", "not_stored", "unknown", "not_queued", "dequeued", "lost",
                                         "discarded", "pending", "unseen"))), "-j books: balanced, none unseen, sums")
    c.check(f"{p}: every line is a JSON object with the text line's fields; the summary comes last", parses)





def scenario_badget(args, bed, c):
    """a GET with a bad data pointer loses the entry it dequeued"""
    r = bed.boot(args, "badget", "open error error error get badget close")
    p = f"{bed.name}/badget"

    def lost():
        eq([g["rc"] for g in r.gt_of("badget")], ["-14"], "the guest's bad-pointer GET")
        lost = [e for e in r.events("dequeue") if e.get("lost") == "1"]
        eq([e["rc"] for e in lost], ["-EFAULT"], "lost dequeues")
        stored = enqueued(r, "stored")
        eq((ccdf_of(lost[0]), lost[0]["slot"]), (ccdf_of(stored[1]), stored[1]["slot"]), "the lost error (FIFO)")
        eq(r.summary.get("lost"), 1, "summary")
        (cl,) = r.events("close")
        eq(cl["discarded"], str(len(stored) - 2), "discarded at close")
    c.check(f"{p}: a GET with a bad data pointer is reported as one lost error", lost)


def scenario_derived(args, bed, c):
    """overflow without the store hook: outcomes derived from the queue state"""
    scenario_overflow(args, bed, c, derive=True)


def scenario_kprobes(args, bed, c):
    """overflow with --kprobes on a kernel where fentry works: the kprobe twins give the same results"""
    scenario_overflow(args, bed, c, kprobes=True)


def node_exporter_scrape(prom_file):
    """serve prom_file with a real node_exporter (textfile collector only) on loopback; return /metrics"""
    d = tempfile.mkdtemp(prefix="zt-textfile-")
    shutil.copy(prom_file, os.path.join(d, "zpcitrace.prom"))
    port = free_port()
    p = subprocess.Popen(["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{port}",
                          "--collector.disable-defaults", "--collector.textfile",
                          f"--collector.textfile.directory={d}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
            except OSError:
                time.sleep(0.1)
        raise AssertionError("node_exporter did not answer on loopback")
    finally:
        p.kill()
        p.wait()
        shutil.rmtree(d, ignore_errors=True)


def scenario_prom(args, bed, c):
    """the exporter: --prom during the overflow scenario"""
    r = bed.boot(args, "prom", "open error error error error error error drain close",
                 trace="--prom /tmp/out/zpcitrace.prom -i 1", conf=["ZT_SNAPSHOT=/tmp/out/zpcitrace.prom"])
    p = f"{bed.name}/prom"
    path = os.path.join(r.dir, "zpcitrace.prom")
    fid = 'fid="0x00000001"'

    def exact_counts():
        m = prom_samples(open(path).read())
        n = r.notified()
        want = {f'zpcitrace_errors_arrived_total{{{fid},pec="0x0004"}}': n,
                f'zpcitrace_errors_stored_total{{{fid},pec="0x0004"}}': len(r.reads()),
                f'zpcitrace_errors_dropped_total{{{fid},pec="0x0004"}}': n - len(r.reads()),
                f'zpcitrace_errors_dequeued_total{{{fid},pec="0x0004"}}': len(r.reads()),
                f'zpcitrace_errors_discarded_total{{{fid},pec="0x0004"}}': 0,
                f'zpcitrace_errors_lost_total{{{fid},pec="0x0004"}}': 0,
                f'zpcitrace_empty_reads_total{{{fid}}}': 1,
                f'zpcitrace_queue_depth_max{{{fid}}}': 4,
                f'zpcitrace_queue_wait_seconds_count{{pec="0x0004"}}': len(r.reads()),
                'zpcitrace_ringbuf_lost_events_total': 0, 'zpcitrace_untraced_returns_total': 0,
                f'zpcitrace_books_balanced{{{fid}}}': 1, f'zpcitrace_errors_unseen_total{{{fid}}}': 0,
                f'zpcitrace_errors_not_queued_total{{{fid}}}': 0,
                f'zpcitrace_errors_queued_at_start_total{{{fid},pec="0x0004"}}': 0,
                'zpcitrace_hook_info{function="zpci_store_pci_error",mode="kprobe"}': 1,
                'zpcitrace_uapi_info{form="merged"}': 1}
        eq({k: m.get(k) for k in want}, want, "metrics")
        eq(len(r.reads()), 4, "the guest's reads")
        if n < 5:
            raise AssertionError(f"the guest saw {n} error notifications for 6 triggers: no overflow")
        if not m.get(f"zpcitrace_last_error_timestamp_seconds{{{fid}}}", 0) > 1.7e9:
            raise AssertionError("no plausible last error timestamp")
    c.check(f"{p}: the file holds exactly the counts the scenario produced", exact_counts)

    def current_while_running():
        # the BPF side does not wake the exporter for these few records: each export reads them itself
        live, final = prom_samples(open(os.path.join(r.dir, "snapshot")).read()), prom_samples(open(path).read())
        key = f'zpcitrace_errors_arrived_total{{{fid},pec="0x0004"}}'
        eq((live.get(key), live.get(f'zpcitrace_errors_dequeued_total{{{fid},pec="0x0004"}}')),
           (final.get(key), len(r.reads())), "arrivals and dequeues exported while running vs at exit")
    c.check(f"{p}: an export while running already holds every event (no wakeup needed)", current_while_running)

    def promtool():
        out = subprocess.run(["promtool", "check", "metrics"], stdin=open(path), capture_output=True, text=True)
        eq((out.returncode, out.stdout + out.stderr), (0, ""), "promtool check metrics")
    c.check(f"{p}: promtool check metrics accepts the guest's file with no lint warning", promtool)

    def node_exporter():
        m = prom_samples(node_exporter_scrape(path))
        eq(m.get("node_textfile_scrape_error"), 0.0, "node_textfile_scrape_error")
        eq(m.get(f'zpcitrace_errors_stored_total{{{fid},pec="0x0004"}}'), 4.0, "stored, as served")
    c.check(f"{p}: a real node_exporter serves the metrics with node_textfile_scrape_error 0", node_exporter)


ZPCITRACE_HOST = os.path.join(HERE, "..", "..", "zpcitrace")


def report(*args):
    """zpcitrace report on this (x86) host"""
    return subprocess.run([ZPCITRACE_HOST, "report", *args], capture_output=True, text=True)


def live_summary(r):
    return r.trace_err[r.trace_err.index("zpcitrace: summary"):]


def without_capture_section(text):
    """a report's summary less its "capture:" section (what the capture lacks), which a live run has not"""
    return re.sub(r"^capture: .*\n(?:  .*\n)*", "", text, count=1, flags=re.M)


def live_session(objs):
    """the -j objects of a run (a live one, or report --events -j) from the first open to the last close, less the
    stamps each tracer puts on its own (ts_ns, time, latency_us: a live -j beside a recorder saw the same kernel
    events, stamped by its own programs microseconds apart)"""
    evs = [o for o in objs if o["event"] not in ("start", "summary")]
    first = min(o["ts_ns"] for o in evs if o["event"] == "open")
    last = max(o["ts_ns"] for o in evs if o["event"] == "close")
    return [{k: (v if k not in ("ts_ns", "time", "latency_us") else "~") for k, v in o.items()}
            for o in evs if first <= o["ts_ns"] <= last]


def same_events_as_live(r, report_stdout, name):
    """report --events -j's output: the start object, then the events the live -j (trace2.txt) printed, in order,
    every field but their stamps, then the summary; and all of it in the JSON contract"""
    got = [json.loads(line) for line in report_stdout.splitlines()]
    live = [json.loads(line) for line in open(os.path.join(r.dir, "trace2.txt")).read().splitlines()]
    eq((got[0]["event"], got[-1]["event"]), ("start", "summary"), "the start object first, the summary last")
    eq(live_session(got), live_session(live), "the capture's events vs the live -j run's")
    if len(live_session(got)) < 20:
        raise AssertionError(f"only {len(live_session(got))} events in the session")
    open(os.path.join(r.dir, name), "w").write(report_stdout)
    assert_schema(os.path.join(r.dir, name))


def scenario_record(args, bed, c):
    """record on s390x, report on this x86 host; the Perfetto timeline"""
    r = bed.boot(args, "record", "open error error error error error error drain error error close",
                 trace="record -w /tmp/out/capture.jsonl", conf=['ZT_MORE_TRACES="-j"'])
    p = f"{bed.name}/record"
    cap = os.path.join(r.dir, "capture.jsonl")

    def events_as_live():
        rep = report("--events", "-j", cap)
        eq((rep.returncode, rep.stderr), (0, ""), "report --events -j")
        same_events_as_live(r, rep.stdout, "report-events.json")
    c.check(f"{p}: report --events -j gives the events the live -j beside it printed, in order, every field but "
            "their own stamps", events_as_live)

    def same_summary():
        rep = report(cap)
        eq((rep.returncode, rep.stderr), (0, ""), "report exit code and complaints")
        if "capture: complete\n" not in rep.stdout:
            raise AssertionError("the report does not call the capture complete")
        eq(without_capture_section(rep.stdout), live_summary(r), "the report's summary vs the live one")
        f = rep.stdout.split("functions:")[1].splitlines()
        row = dict(zip(f[1].split(), f[2].split()))
        eq((row["STORED"], row["DROPPED"], row["DISCARDED"]), (str(len(r.reads()) + 2), str(r.notified() - 6), "2"),
           "stored, dropped, discarded")
    c.check(f"{p}: the report on x86 equals the live summary field for field", same_summary)

    def filters():
        whole = report("-j", cap)
        none = report("-j", "--fid", "0x2", cap)
        late = report("-j", "--since", "+3600", cap)
        eq(json.loads(whole.stdout)["counters"]["arrived"], r.notified(), "all arrivals")
        # function 0x2 is in the capture (its queue, read at start) but nobody opened it: nothing to sum
        eq((none.returncode, json.loads(none.stdout)["functions"]), (0, []), "--fid 0x2")
        eq((late.returncode, late.stdout, "the selection is empty" in late.stderr), (1, "", True),
           "--since an hour later: an empty selection, said")
        first = min(e["ts"] for e in parse_trace_json(cap) if e["event"] == "arrival")
        since = report("-j", "--since", first, cap)
        eq(json.loads(since.stdout)["counters"]["arrived"], r.notified(), f"--since {first}")
        for name, rep in (("whole", whole), ("none", none), ("since", since)):
            open(os.path.join(r.dir, f"report-{name}.json"), "w").write(rep.stdout)
        assert_schema(*[os.path.join(r.dir, f"report-{name}.json") for name in ("whole", "none", "since")])
    c.check(f"{p}: --fid, --since and --until select events (+SECONDS and HH:MM:SS); report -j holds to the schema",
            filters)

    def perfetto():
        out = os.path.join(r.dir, "timeline.json")
        rep = report("--perfetto", out, cap)
        eq(rep.returncode, 0, "report --perfetto")
        t = json.load(open(out))
        procs = {e["pid"]: e["args"]["name"] for e in t["traceEvents"] if e.get("name") == "process_name"}
        eq(sorted(procs), [1], "one track (process) per function seen")
        ends = [e["args"]["end"] for e in t["traceEvents"] if e["ph"] == "X"]
        eq((ends.count("dequeued"), ends.count("discarded"), len(ends)), (len(r.reads()), 2, len(r.reads()) + 2),
           "a wait span per error read and per error discarded at close")
        if not any(e["ph"] == "C" and e["name"] == "queue depth" for e in t["traceEvents"]):
            raise AssertionError("no queue-depth counter track")
        for e in t["traceEvents"]:
            if e["ph"] in "Xi" and not {"pid", "tid", "ts", "name"} <= set(e):
                raise AssertionError(f"trace event lacks fields: {e}")
        names = {e["name"] for e in t["traceEvents"] if e["ph"] == "i"}
        eq(names >= {"arrival", "stored", "drop", "notify", "dequeue", "close", "reset"}, True, f"instants {names}")
    c.check(f"{p}: --perfetto writes trace-event JSON: a track per function, a span per wait, the queue depth",
            perfetto)


def scenario_rotate(args, bed, c):
    """record -C 4k -W 50: a rotated set, read back as one (gzip, zstd, stdin) equals the live run beside it"""
    r = bed.boot(args, "rotate", "open error get error error drain error error error error error error drain "
                 "error error get error drain error error error get close",
                 trace="record -w /tmp/out/rot.jsonl -C 4k -W 50", conf=['ZT_MORE_TRACES="-j"'])
    p = f"{bed.name}/rotate"
    plain = sorted((f for f in os.listdir(r.dir) if re.fullmatch(r"rot\.jsonl(\.\d+)?", f)),
                   key=lambda f: -int(f.split(".")[-1]) if f[-1].isdigit() else 0)
    paths = [os.path.join(r.dir, f) for f in plain]  # oldest first

    def files_of_one_run():
        if len(paths) < 3:
            raise AssertionError(f"only {len(paths)} files: no rotation to speak of")
        heads = [json.loads(open(f).readline()) for f in paths]
        eq(len({h["run_id"] for h in heads}), 1, "one run_id in every file")
        eq([h["run_file"] for h in heads], list(range(1, len(paths) + 1)), "run_file 1, 2, ... oldest first")
    c.check(f"{p}: -C 4k rotates the capture into files of one run (run_id), numbered (run_file)", files_of_one_run)

    def set_as_live():
        # the oldest gzipped, the next compressed with zstd, the rest plain; given newest first
        text = [open(f, "rb").read() for f in paths]
        gz, zst = paths[0] + ".gz", paths[1] + ".zst"
        open(gz, "wb").write(gzip.compress(text[0]))
        subprocess.run(["zstd", "-q", "-f", paths[1], "-o", zst], check=True)
        given = list(reversed([gz, zst] + paths[2:]))
        rep = report("--events", "-j", *given)
        eq((rep.returncode, rep.stderr), (0, ""), "report --events -j of the set")
        same_events_as_live(r, rep.stdout, "report-set-events.json")
        rep = report(*given)
        eq(rep.returncode, 0, "report of the set")
        if not re.search(rf"^  captures of the run read as one +{len(paths)}$", rep.stdout, re.M):
            raise AssertionError("the summary does not say how many captures it read as one")
        eq(without_capture_section(rep.stdout), live_summary(r), "the set's summary vs the recorder's own")
    c.check(f"{p}: the set (one file gzip, one zstd, in any order) reads as one: its events are the live -j's beside "
            "it, its summary the recorder's", set_as_live)

    def stdin_as_live():
        # every file one after another, gzipped, through a pipe
        stream = gzip.compress(b"".join(open(f, "rb").read() for f in paths))
        rep = subprocess.run([ZPCITRACE_HOST, "report", "--events", "-j", "-"], input=stream, capture_output=True)
        eq((rep.returncode, rep.stderr), (0, b""), "report --events -j - of the cat")
        same_events_as_live(r, rep.stdout.decode(), "report-stdin-events.json")
        twice = subprocess.run([ZPCITRACE_HOST, "report", "-", paths[0]], input=stream, capture_output=True)
        eq((twice.returncode, b"the same capture twice" in twice.stderr), (2, True), "a file given twice")
    c.check(f"{p}: a cat of the set, gzipped, through stdin reads as the set; a file given twice is refused",
            stdin_as_live)


GUESTS = {  # name: (fid, commands, what its consumer does)
    "alpha": ("0x00000001", "open error drain error drain error drain hold close", "drains"),
    "beta": ("0x00000003", "open error error error get hold close", "reads_some"),
    "gamma": ("0x00000004", "open error error hold close", "never_reads"),
}


def scenario_guests(args, bed, c):
    """three guest VMMs started as libvirt starts QEMU, one consumer behaviour each: owners and consumers named"""
    guests = ";".join(f"{n}:{fid}:{cmds}" for n, (fid, cmds, _) in GUESTS.items())
    r = bed.boot(args, "guests", "", trace="-j -v", functions=4,
                 conf=[f'ZT_GUESTS="{guests}"', "ZT_STATUS=1", 'ZT_STATUS_ARGS="--exporter-file /tmp/out/zt.prom"',
                       "ZT_HOLD_SNAPSHOT=/tmp/out/zt.prom",
                       'ZT_MORE_TRACES="--prom /tmp/out/zt.prom -i 1;record -w /tmp/out/guests.jsonl"'])
    p = f"{bed.name}/guests"
    gt = {n: parse_gt(r.path(f"guest-{n}.txt")) for n in GUESTS}
    pids = {n: int(next(f for w, f in gt[n] if w == "open")["pid"]) for n in GUESTS}

    def guests_did_what_they_say():
        for n, (fid, _, _) in GUESTS.items():
            errors = [f for w, f in gt[n] if w == "error"]
            eq((len(errors), all(int(f["eventfd"]) >= 1 for f in errors)), (len(errors), True),
               f"{n}: every error notified")
        eq(len(gt_reads(gt["alpha"])), 3, "alpha read its three errors")
        eq(len(gt_reads(gt["beta"])), 1, "beta read one of three")
        eq(len(gt_reads(gt["gamma"])), 0, "gamma never read")
    c.check(f"{p}: the guests provoked their errors, and read all, one of three, none", guests_did_what_they_say)

    def owner_ok(o, n, what):
        if not o:
            raise AssertionError(f"{what}: no owner for {n}")
        eq((o["pid"], o["domain"], o["exe"]), (pids[n], n, "/zpci_vmm"), f"{what}: the owner of {n}'s function")

    def summary_names_them():
        fns = {f["fid"]: f for f in r.j["functions"]}
        for n, (fid, _, want) in GUESTS.items():
            owner_ok(fns[fid]["owner"], n, "the live -j summary")
            eq(fns[fid]["consumer"], want, f"the consumer of {n}'s function")
        text = report(r.path("guests.jsonl"))
        for n in GUESTS:
            if f"libvirt domain {n}\n" not in text.stdout:
                raise AssertionError(f"the report's text names no domain {n}")
    c.check(f"{p}: the summary (-j, and report's text of the recorder's capture) names each function's owner and "
            "domain, and its consumer: drains, reads_some, never_reads", summary_names_them)

    def opens_name_them():
        lines = [json.loads(line) for line in open(r.path("trace.txt"))]
        opens = {e["fid"]: e for e in lines if e["event"] == "open"}
        for n, (fid, _, _) in GUESTS.items():
            eq((opens[fid]["pid"], opens[fid]["domain"], opens[fid]["exe"]), (pids[n], n, "/zpci_vmm"),
               f"the open event of {n}")
        rep = report("--events", "-j", r.path("guests.jsonl"))
        got = {o["fid"]: o for o in map(json.loads, rep.stdout.splitlines()) if o["event"] == "open"}
        eq({fid: got[fid]["domain"] for fid, _, _ in GUESTS.values()},
           {fid: n for n, (fid, _, _) in GUESTS.items()}, "report --events: the open events' domains")
        summary = json.loads(rep.stdout.splitlines()[-1])
        eq({f["fid"]: (f["consumer"], f["owner"]["domain"]) for f in summary["functions"]},
           {fid: (want, n) for n, (fid, _, want) in GUESTS.items()}, "the capture's summary")
    c.check(f"{p}: the open events name the process's executable and domain, live and read back from the capture",
            opens_name_them)

    def status_names_them():
        st = json.load(open(r.path("status.json")))
        fns = {f["fid"]: f for f in st["functions"]}
        for n, (fid, _, want) in GUESTS.items():
            owner_ok(fns[fid]["owner"], n, "status -j")
            eq(fns[fid]["consumer"], want, f"status -j: the consumer of {n}'s function, as the exporter judged it")
        text = open(r.path("status.txt")).read()
        for n, (_, _, want) in GUESTS.items():
            label = {"drains": "drains", "reads_some": "reads some", "never_reads": "never reads"}[want]
            if not re.search(rf"owner: pid {pids[n]}, zpci_vmm \(/zpci_vmm\), libvirt domain {n}\n"
                             rf"    consumer: {label} \(as zpcitrace-exporter judged it, its textfile \d+ s old\)\n",
                             text):
                raise AssertionError(f"status names no owner and consumer for {n}: {text}")
        assert_schema(r.path("status.json"))
    c.check(f"{p}: status (text and -j), taken while the guests hold their devices, names each owner and, as the "
            "exporter judged it, each consumer",
            status_names_them)

    def metrics_name_them():
        s = prom_samples(open(r.path("held.prom")).read())
        for n, (fid, _, want) in GUESTS.items():
            eq(s.get(f'zpcitrace_function_owner_info{{fid="{fid}",comm="zpci_vmm",exe="/zpci_vmm",domain="{n}"}}'),
               1.0, f"the owner info of {n}")
            eq(s.get(f'zpcitrace_function_owner_pid{{fid="{fid}"}}'), float(pids[n]), f"the owner pid of {n}")
            states = {k.split('state="')[1][:-2]: v for k, v in s.items()
                      if k.startswith(f'zpcitrace_consumer_state{{fid="{fid}"')}
            eq({k for k, v in states.items() if v == 1}, {want}, f"the consumer state of {n}")
            eq(len(states), 5, f"every state of {n}'s consumer")
    c.check(f"{p}: the exporter, while the guests hold their devices, names each owner and its consumer's state",
            metrics_name_them)


def scenario_flight(args, bed, c):
    """--flight-recorder: dumps on overflow, discard, SIGUSR1 and exit"""
    r = bed.boot(args, "flight", "open error error error error error error drain error close",
                 trace="record -w /tmp/out/fr.jsonl --flight-recorder 8", conf=["ZT_USR1=1"])
    p = f"{bed.name}/flight"

    def dumps():
        files = sorted(f for f in os.listdir(r.dir) if f.startswith("fr.jsonl"))
        reasons = {}
        for f in files:
            lines = open(os.path.join(r.dir, f)).read().splitlines()
            trailer = json.loads(lines[-1])
            reasons[f] = trailer["reason"]
            if len(lines) - 2 > 8:
                raise AssertionError(f"{f} holds {len(lines) - 2} events, more than the 8 kept")
            rep = report(os.path.join(r.dir, f))
            eq((rep.returncode, rep.stderr), (0, ""), f"report {f}")
        eq(sorted(reasons.values()), sorted(["overflow", "discard", "sigusr1", "exit"]), f"dumps {reasons}")
        eq(reasons["fr.jsonl"], "exit", "the final dump")
        ov = [f for f, why in reasons.items() if why == "overflow"][0]
        rep = report("-j", os.path.join(r.dir, ov))
        if json.loads(rep.stdout)["counters"]["dropped"] < 1:
            raise AssertionError("the overflow dump lacks the dropped error")
        final = json.loads(open(os.path.join(r.dir, "fr.jsonl")).read().splitlines()[-1])
        if final["flight_recorder_overwritten"] <= 0:
            raise AssertionError("the final dump does not count the events it no longer holds")
    c.check(f"{p}: the last 8 events are written on overflow, on discard at close, on SIGUSR1 and at exit", dumps)


def scenario_kill9(args, bed, c):
    """a capture killed with SIGKILL reads back to its last full line"""
    r = bed.boot(args, "kill9", "open error error get close", trace="record -w /tmp/out/cut.jsonl",
                 conf=["ZT_KILL9=1"])
    p = f"{bed.name}/kill9"

    def reads_back():
        cap = os.path.join(r.dir, "cut.jsonl")
        eq(r.trace_rc, 137, "zpcitrace killed")
        rep = report("-j", cap)
        eq(rep.returncode, 3, "report exit code (a damaged capture)")
        if "cut short (no trailer" not in rep.stderr:
            raise AssertionError(f"the report does not say the capture was cut: {rep.stderr!r}")
        eq(json.loads(rep.stdout)["counters"]["arrived"], r.notified(), "arrivals read back")
        eq([f["books"]["balanced"] for f in json.loads(rep.stdout)["functions"]], [True], "the books of the cut capture")
        # cut it inside its last line as well: the report reads up to the line before and says how much
        data = open(cap, "rb").read()
        cut = os.path.join(r.dir, "cut-more.jsonl")
        open(cut, "wb").write(data[:-10])
        rep = report(cut)
        eq(rep.returncode, 3, "report of a file cut mid-line")
        if f"{len(data.splitlines()[-1]) + 1 - 10} bytes of a partial last line ignored" not in rep.stderr:
            raise AssertionError(f"no count of the cut bytes: {rep.stderr!r}")
    c.check(f"{p}: a capture cut by SIGKILL (and mid-line) reads back to its last full line, saying so", reads_back)


def scenario_fid(args, bed, c):
    """--fid filters in the kernel"""
    r = bed.boot(args, "fid", "open error get close", trace="-j --fid 0x2")
    p = f"{bed.name}/fid"

    def filtered():
        if not r.reads():
            raise AssertionError("the guest read no error")
        eq(r.trace, [], "events traced for other functions")
        eq(r.summary.get("arrived"), 0, "summary")
    c.check(f"{p}: --fid 0x2 shows nothing of function 0x1's errors", filtered)



def scenario_late(args, bed, c, prom=False):
    """started before the vfio modules: the VMM reads its first error as soon as the function is bound"""
    name = "late-prom" if prom else "late"
    trace = "--prom /tmp/out/zpcitrace.prom -i 1 -v" if prom else "-j -v"
    r = bed.boot(args, name, "open error get close", trace=trace,
                 conf=["ZT_LATE_MODULES=1", 'ZT_WAIT_ERR="module vfio_pci_core loaded"'])
    p = f"{bed.name}/{name}"

    def pending_then_attached():
        for h in sorted(MODULE_HOOKS):
            if f"module vfio_pci_core is not loaded: {h} pending" not in r.trace_err:
                raise AssertionError(f"no pending line for {h}")
            if f"module vfio_pci_core loaded: {h} kprobe" not in r.trace_err:
                raise AssertionError(f"no attach line for {h}")
        if "every second" in r.trace_err:
            raise AssertionError("zpcitrace polls for the module instead of hearing it load")
    c.check(f"{p}: module hooks are pending until vfio_pci_core loads, then attach as it loads", pending_then_attached)

    if prom:
        def exported():
            m = prom_samples(open(os.path.join(r.dir, "zpcitrace.prom")).read())
            fid, pec = 'fid="0x00000001"', 'pec="0x0004"'
            want = {f"zpcitrace_errors_stored_total{{{fid},{pec}}}": 1.0,
                    f"zpcitrace_errors_dequeued_total{{{fid},{pec}}}": float(len(r.reads())),
                    f"zpcitrace_books_balanced{{{fid}}}": 1.0, f"zpcitrace_errors_unseen_total{{{fid}}}": 0.0}
            want.update({f'zpcitrace_hook_info{{function="{h}",mode="kprobe"}}': 1.0 for h in MODULE_HOOKS})
            want['zpcitrace_uapi_info{form="merged"}'] = 1.0  # found when vfio_pci_core loaded
            eq({k: m.get(k) for k in want}, want, "metrics")
        c.check(f"{p}: the exporter counts the read made right after binding; the books balance", exported)
        return

    def read_traced():
        eq([ccdf_of(e) for e in dequeued_ok(r)], [ccdf_of(g) for g in r.reads()], "dequeues (fid, fh, PEC, faddr)")
        eq(len(r.reads()), 1, "reads by the guest")
        eq(r.summary.get("dequeued"), 1, "summary")
        eq(r.functions["0x00000001"]["unmatched"], 0, "unmatched dequeues")
    c.check(f"{p}: the read right after binding is traced with its PEC and faddr (in vmlinux if need be)", read_traced)


def scenario_late_prom(args, bed, c):
    """the exporter, started before the vfio modules"""
    scenario_late(args, bed, c, prom=True)


def scenario_reload(args, bed, c, prom=False):
    """vfio-pci and vfio_pci_core unloaded and loaded again while traced, errors before and after"""
    name = "reload-prom" if prom else "reload"
    trace = "--prom /tmp/out/zpcitrace.prom -i 1 -v" if prom else "-j -v"
    r = bed.boot(args, name, "open error get close", trace=trace, conf=["ZT_RELOAD=1", 'ZT_VMM2="open error get close"'])
    p = f"{bed.name}/{name}"
    gt2 = r.vmm2()
    reads = r.reads() + gt_reads(gt2)
    notified = r.notified() + gt_notified(gt2)

    def unloads():
        eq(open(os.path.join(r.dir, "rmmod.txt")).read().split("\n")[:2],
           ["rmmod vfio_pci rc=0", "rmmod vfio_pci_core rc=0"], "rmmod while traced")
        want = f"module vfio_pci_core removed: {', '.join(h for h in ALL_HOOKS if h in MODULE_HOOKS)} gone"
        eq(r.trace_err.count(want), 1, f"lines '{want}'")
        for h in sorted(MODULE_HOOKS):
            eq(r.trace_err.count(f"module vfio_pci_core loaded: {h} kprobe"), 1, f"re-attach lines of {h}")
    c.check(f"{p}: rmmod succeeds while traced; one line says which hooks went; they attach again", unloads)

    if prom:
        def exported():
            m = prom_samples(open(os.path.join(r.dir, "zpcitrace.prom")).read())
            fid, pec = 'fid="0x00000001"', 'pec="0x0004"'
            want = {f"zpcitrace_errors_arrived_total{{{fid},{pec}}}": float(notified),
                    f"zpcitrace_errors_stored_total{{{fid},{pec}}}": float(len(reads)),
                    f"zpcitrace_errors_dequeued_total{{{fid},{pec}}}": float(len(reads)),
                    f"zpcitrace_notifications_total{{{fid}}}": float(notified),
                    f"zpcitrace_opens_total{{{fid}}}": 2.0, f"zpcitrace_closes_total{{{fid}}}": 2.0,
                    f"zpcitrace_books_balanced{{{fid}}}": 1.0, f"zpcitrace_errors_unseen_total{{{fid}}}": 0.0}
            eq({k: m.get(k) for k in want}, want, "metrics")
            eq(len(reads), 2, "the guest's reads")
        c.check(f"{p}: the exporter counts both sessions as an ordinary run would", exported)
        return

    def counted():
        eq(len(reads), 2, "the guest's reads")
        eq([ccdf_of(e) for e in dequeued_ok(r)], [ccdf_of(g) for g in reads], "dequeues")
        eq(len(r.events("notify")), notified, "notifications traced, both sessions")
        eq([e.get("via") for e in dequeued_ok(r)], [None, None], "dequeues seen with the ioctl (vfio_pci_core hooks)")
        eq((r.summary.get("opens"), r.summary.get("closes")), (2, 2),
           "opens, closes")
        eq(r.j["hooks"]["vfio_pci_zdev_feature_err"], "kprobe", "feature hook at exit")
    c.check(f"{p}: errors before and after the reload are all counted, notifications and ioctls included", counted)


def scenario_reload_prom(args, bed, c):
    """the exporter across a reload of vfio-pci and vfio_pci_core"""
    scenario_reload(args, bed, c, prom=True)


def scenario_atstart(args, bed, c):
    """errors queued before zpcitrace starts: status, then traced as queued before the start"""
    r = bed.boot(args, "atstart", "open error error await get close", conf=["ZT_VMM_FIRST=1", "ZT_STATUS=1"])
    p = f"{bed.name}/atstart"
    queued_n = min(r.notified(), 4)
    errors = [g for g in r.gt_of("error") if int(g["eventfd"]) > 0]

    def status():
        eq(open(os.path.join(r.dir, "status.rc")).read().split(), ["0", "0"], "status exit codes")
        text = open(os.path.join(r.dir, "status.txt")).read()
        rows = {l.split()[0]: l.split() for l in text.splitlines() if re.match(r"^  0x[0-9a-f]{8} ", l)}
        eq((rows["0x00000001"][5], rows["0x00000001"][6]), ("yes", str(queued_n)), "fid 0x1: mediated, queued")
        eq((rows["0x00000002"][5], rows["0x00000002"][6]), ("no", "0"), "fid 0x2: mediated, queued")
        slots = re.findall(r"^    slot (\d): pec=(\S+) faddr=(\S+)$", text, re.M)
        eq([(pec, int(fa, 16)) for _, pec, fa in slots],
           [("0x0004/tprote", faddr_of(g)) for g in errors][:queued_n], "queued errors (PEC, faddr)")
        j = json.loads(open(os.path.join(r.dir, "status.json")).read())
        fns = {f["fid"]: f for f in j["functions"]}
        eq((fns["0x00000001"]["count"], len(fns["0x00000001"]["queued"]), fns["0x00000002"]["count"]),
           (queued_n, queued_n, 0), "-j: counts")
        eq([q["slot"] for q in fns["0x00000001"]["queued"]], [int(x) for x, _, _ in slots], "-j: slots as in the text")
    c.check(f"{p}: status shows {queued_n} errors queued on fid 0x1 (PEC, faddr, slot) and none on fid 0x2", status)

    def traced():
        queued = r.events("queued")
        eq(len(queued), queued_n, "errors reported as queued before the start")
        eq({e["before_start"] for e in queued}, {"1"}, "marked before_start")
        eq([(e["pec"], int(e["faddr"], 16)) for e in queued],
           [("0x0004", faddr_of(g)) for g in errors][:queued_n], "their PEC and faddr")
        deq = dequeued_ok(r)
        eq([ccdf_of(e) for e in deq], [ccdf_of(g) for g in r.reads()], "dequeues vs the guest's reads")
        eq([(e["slot"], e.get("queued_before_start"), "latency_us" in e) for e in deq],
           [(queued[0]["slot"], "1", False)], "the read: its slot, marked, no latency invented")
        wait_us = int(deq[0]["waited_us_min"])
        if wait_us <= 0:
            raise AssertionError(f"waited_us_min {wait_us}")
        eq(r.summary.get("queued_before_start"), queued_n, "summary")
        (cl,) = r.events("close")
        eq(int(cl["discarded"]), queued_n - 1, "discarded at close: the ones never read")
        b = r.books["0x00000001"]
        eq((b["arrived"], b["queued_before_start"], b["dequeued"], b["discarded"], b["pending"]),
           (0, queued_n, 1, queued_n - 1, 0), "books")
    c.check(f"{p}: queued errors are reported once, before the start; the read one matches by slot, no latency invented",
            traced)


def scenario_input(args, bed, c):
    """--btf, and bad input on a real kernel"""
    pre = ("--btf /nonexistent/vmlinux.btf;--fid 0x1x;--no-hook zpci_nonexistent;--no-hook zpci_event_error;-i 1 2;"
           "--prom /nonexistent/dir/zpcitrace.prom;@nobody -T;-vv 1;@kptr2 -v 1")
    stage = "loading and verifying the BPF programs for vmlinux"
    r = bed.boot(args, "input", "open error get close", trace="-v --btf /sys/kernel/btf/vmlinux",
                 conf=[f'ZT_PRE="{pre}"', f'ZT_INT_AT="zpcitrace: {stage}"'])
    p = f"{bed.name}/input"

    def interrupted_start():
        eq(open(os.path.join(r.dir, "intstart.txt")).read().split()[0], "rc=130", "exit after SIGINT during the start")
        err = open(os.path.join(r.dir, "intstart.err")).read()
        eq(err.count(f"zpcitrace: interrupted while {stage}"), 1, "lines saying where the start was interrupted")
    c.check(f"{p}: SIGINT during the start (verifying programs) ends it within 5 s, saying at which stage", interrupted_start)

    def btf_file():
        # the file is vmlinux's BTF alone: hooks in vfio_pci_core cannot be relocated and degrade
        eq(r.trace_rc, 0, "exit code")
        eq([ccdf_of(e) for e in r.events("arrival")], [ccdf_of(g) for g in r.reads()], "arrivals")
        eq(len(enqueued(r, "stored")), 1, "stored")
        eq({h: m for h, (m, _) in r.hooks.items()},
           {h: "failed" if h in MODULE_HOOKS else "kprobe" for h in ALL_HOOKS}, "modes with a BTF file")
        eq(len(re.findall(r"cannot load the hooks in vfio_pci_core .*--btf", r.trace_err)), 1, "degrade line")
    c.check(f"{p}: --btf PATH traces with that BTF; hooks it cannot describe degrade with one line", btf_file)

    def bad_input():
        blocks = re.findall(r"^PRE args=(.*) rc=(\d+) stdout_lines=(\d+)\n((?:  .*\n)*)", r.pre, re.M)
        # a start slowed by a busy host says so every 5 s ("still starting after"): progress, not a complaint
        got = {a: (int(rc), int(out), len([l for l in err.splitlines() if "still starting after" not in l]))
               for a, rc, out, err in blocks}
        eq(got["--btf /nonexistent/vmlinux.btf"], (78, 0, 1), "missing BTF file (EX_CONFIG): rc, stdout and stderr lines")
        eq(got["--prom /nonexistent/dir/zpcitrace.prom"][:2], (1, 0), "unwritable --prom file: rc, stdout lines")
        eq(got["@nobody -T"], (77, 0, 1), "as user nobody (EX_NOPERM): rc, stdout lines, stderr lines")
        if "not allowed to load BPF programs" not in r.pre:
            raise AssertionError("no clear line for the missing privileges")
        if "cannot write /nonexistent/dir/zpcitrace.prom" not in r.pre:
            raise AssertionError("no clear line for the unwritable --prom file")
        for a in ("--fid 0x1x", "--no-hook zpci_nonexistent", "--no-hook zpci_event_error"):
            eq(got[a][:2], (64, 0), f"'{a}': rc and stdout lines")
    c.check(f"{p}: a missing BTF file or a bad flag gives a clear error and a non-zero exit", bad_input)

    def interval_and_duration():
        block = r.pre.split("PRE args=-i 1 2 ", 1)[1].split("\nPRE ", 1)[0]
        if not block.startswith("rc=0 "):
            raise AssertionError(f"'-i 1 2' did not exit 0 by itself: {block[:40]}")
        if block.count("zpcitrace: summary") < 2:
            raise AssertionError(f"'-i 1 2' printed {block.count('zpcitrace: summary')} summaries, want an interval one and the final one")
    c.check(f"{p}: -i 1 with a duration of 2 s prints interval summaries and stops by itself", interval_and_duration)

    def hidden_addresses():
        # kptr_restrict=2: the kernel's symbol lookup refuses, /proc/kallsyms names the functions (its addresses
        # are zeros): the hooks attach by name; zpci_list has no address, so the queues cannot be read, and it says so
        block = r.pre.split("PRE args=@kptr2 -v 1 ", 1)[1].split("\nPRE ", 1)[0]
        if not block.startswith("rc=0 "):
            raise AssertionError(f"'-v 1' with kptr_restrict=2 did not exit 0: {block[:40]}")
        eq(len(re.findall(r"^  zpcitrace: reading /proc/kallsyms$", block, re.M)), 1, "the fallback's stage line")
        eq(len(re.findall(r"\(([1-9]\d*) reads of /proc/kallsyms\)", block)), 1, "reads of /proc/kallsyms counted")
        eq(len(re.findall(r"^  zpcitrace: cannot read the queues at start: no address of zpci_list", block, re.M)), 1,
           "the line saying the queues cannot be read")
        eq(len(re.findall(r"^  zpcitrace: hook zpci_event_error +\S+ +kprobe", block, re.M)), 1, "the arrival hook")
    c.check(f"{p}: with kptr_restrict=2 the hooks come from /proc/kallsyms; the queues cannot be read and it says so",
            hidden_addresses)

    def verbosity():
        block = r.pre.split("PRE args=-vv 1 ", 1)[1].split("\nPRE ", 1)[0]
        if not block.startswith("rc=0 "):
            raise AssertionError(f"'-vv 1' did not exit 0: {block[:40]}")
        # libbpf's debug messages (one per program's CO-RE relocations, among others) with -vv, not with -v
        if "CO-RE relocations" not in block or "zpcitrace: where it went: " not in block:
            raise AssertionError("-vv printed no libbpf debug message or no start-up breakdown")
        eq(r.trace_err.count("CO-RE relocations"), 0, "libbpf debug messages with -v")
        if not re.search(r"^zpcitrace: where it went: [\d.]+ ms: finding the functions", r.trace_err, re.M):
            raise AssertionError("-v did not say where the start's time went")
    c.check(f"{p}: -v says where the start's time went without libbpf's debug messages; -vv adds them", verbosity)


def scenario_hotplug(args, bed, c):
    """hot-plug over QMP: availability events"""
    r = bed.boot(args, "hotplug", "open error get close", conf=["ZT_HOTPLUG=1"])
    p = f"{bed.name}/hotplug"

    def availability():
        got = [(int(e["fid"], 16), e["pec"]) for e in r.events("avail")]
        if (2, "0x0303") not in got or (9, "0x0301") not in got:
            raise AssertionError(f"availability events {got}: want fid 2 deconfigure request (0x0303) "
                                 "and fid 9 configured (0x0301)")
        eq(r.summary.get("availability_events"), len(got), "summary")
        eq([e for e in r.events("arrival") if e["fid"] != "0x00000001"], [], "errors of other functions")
    c.check(f"{p}: unplugging fid 2 and plugging fid 9 give availability events 0x0303 and 0x0301", availability)


# the v12 scenario: an empty read and an -EFAULT on the empty queue, an overflow (5 errors: 4 stored, 1 dropped), two
# reads, an -EFAULT after a dequeue (lost), three more errors, and a close that discards the 4 then queued
V12_VMM = "open get badget error error error error error get get badget error error error close"


def scenario_v12(args, bed, c, prom=False):
    """the seed's v12 uAPI (feature 12, {version, pending_errors, pec} in place, dequeued inline)"""
    name = "v12-prom" if prom else "v12"
    trace = "--prom /tmp/out/zpcitrace.prom -i 1 -v" if prom else "-j -v"
    r = bed.boot(args, name, V12_VMM, trace=trace)
    p = f"{bed.name}/{name}"
    errors = r.gt_of("error")
    n1, n3 = sum(int(g["eventfd"]) for g in errors[:5]), sum(int(g["eventfd"]) for g in errors[5:])
    # what the queue held, in order, by the guest's count: each notification an error at the faddr provoked
    arrived = [faddr_of(g) for g in errors[:5] for _ in range(int(g["eventfd"]))]
    # after the reads the queue holds one: the last errors fill it (4 at close, unless QEMU raised fewer)
    stored3, discarded_n = min(n3, 3), 1 + min(n3, 3)
    dropped_n = n1 - 4 + n3 - stored3

    def found():
        eq(r.gt_of("uapi"), [{"form": "v12", "feature": "12"}], "the VMM found")
        eq(r.trace_err.count("zpcitrace: uapi v12: feature 12, "), 1, "-v lines naming the form")
        if n1 < 5:
            raise AssertionError(f"the guest saw {n1} error notifications for 5 triggers: no overflow")
    c.check(f"{p}: the VMM finds the v12 uAPI (feature 12) and -v says zpcitrace found it too", found)
    if prom:
        def exported():
            m = prom_samples(open(os.path.join(r.dir, "zpcitrace.prom")).read())
            fid, pec = 'fid="0x00000001"', 'pec="0x0004"'
            want = {f"zpcitrace_errors_stored_total{{{fid},{pec}}}": 4.0 + stored3,
                    f"zpcitrace_errors_dropped_total{{{fid},{pec}}}": float(dropped_n),
                    f"zpcitrace_errors_dequeued_total{{{fid},{pec}}}": 2.0,
                    f"zpcitrace_errors_lost_total{{{fid},{pec}}}": 1.0,
                    f"zpcitrace_errors_discarded_total{{{fid},{pec}}}": float(discarded_n),
                    f"zpcitrace_empty_reads_total{{{fid}}}": 1.0,
                    f"zpcitrace_queue_wait_seconds_count{{{pec}}}": 2.0,
                    f"zpcitrace_books_balanced{{{fid}}}": 1.0, f"zpcitrace_errors_unseen_total{{{fid}}}": 0.0,
                    'zpcitrace_uapi_info{form="v12"}': 1.0,
                    'zpcitrace_hook_info{function="vfio_pci_zdev_feature_err",mode="fentry"}': 1.0}
            eq({k: m.get(k) for k in want}, want, "metrics")
        c.check(f"{p}: the exporter counts the v12 reads as the merged ones and says uapi v12", exported)
        return
    deq = r.events("dequeue")

    def empty_and_failed():
        eq([(g["rc"], g["pec"]) for g in r.gt_of("get")][:1], [("0", "0x0000")], "the guest's first GET")
        eq([g["rc"] for g in r.gt_of("badget")], ["-14", "-14"], "the guest's GETs that could not be answered")
        eq([(e["rc"], e.get("empty"), e.get("lost")) for e in deq[:2]], [("0", "1", None), ("-EFAULT", None, None)],
           "the first two dequeue events: rc, empty, lost")
        eq((r.summary["empty_reads"], r.summary["read_failed"]), (1, 1), "summary")
    c.check(f"{p}: the empty answer (rc 0, pec 0) counts as an empty read; -EFAULT on an empty queue loses nothing",
            empty_and_failed)

    def overflow():
        stored, dropped = enqueued(r, "stored"), enqueued(r, "dropped-full")
        eq(len(stored), 4 + stored3, "stored")
        eq(len(dropped), dropped_n, "dropped-full = notifications beyond the queue's room")
        eq(len(re.findall(r"Maximum number \(4\) of pending error events queued", r.dmesg)), len(dropped),
           "dropped = the kernel's 'Maximum number (4)' warnings")
    c.check(f"{p}: 5 errors: 4 stored and the rest dropped-full; 3 more fill the queue again", overflow)

    def reads():
        got = [(e["slot"], e["pec"], int(e["faddr"], 16)) for e in dequeued_ok(r)]
        eq([g["pec"] for g in r.reads()], ["0x0004", "0x0004"], "the PECs the guest read")
        eq(got, [("0", "0x0004", arrived[0]), ("1", "0x0004", arrived[1])], "dequeues (slot, PEC, faddr)")
        eq([e.get("uapi") for e in deq], ["v12"] * len(deq), "every dequeue says its form")
        eq([e["queue"] for e in dequeued_ok(r)], [g["pending"] for g in r.reads()],
           "queue depth after each read vs the pending_errors the kernel answered")
    c.check(f"{p}: two reads, each with its slot, PEC and the faddr of the error provoked (from the queue entry)", reads)
    c.check(f"{p}: each read's latency lies within the guest's own timestamps for that error",
            lambda: latencies_within_ground_truth(r, 2))

    def lost():
        got = [(e["rc"], e["slot"], int(e["faddr"], 16)) for e in deq if e.get("lost") == "1"]
        eq(got, [("-EFAULT", "2", arrived[2])], "lost dequeues (rc, slot, faddr)")
        eq(r.summary["lost"], 1, "summary")
    c.check(f"{p}: the -EFAULT after a dequeue loses that error, counted as lost", lost)

    def discarded():
        (cl,) = r.events("close")
        m = re.findall(r"Unhandled PCI error events count=(\d+) for PCI function 0x1", r.dmesg)
        eq(([cl["discarded"]], m), ([str(discarded_n)], [str(discarded_n)]), "discarded at close, and the kernel's count")
        eq((r.summary["discarded"], r.j["uapi"], set(r.j["hooks"].values())), (discarded_n, "v12", {"fentry"}),
           "summary: discarded, uapi, hooks")
    c.check(f"{p}: close discards the {discarded_n} queued; the summary says uapi v12, every hook fentry", discarded)


def scenario_v12_prom(args, bed, c):
    """the exporter on the v12 uAPI"""
    scenario_v12(args, bed, c, prom=True)


def scenario_noseries(args, bed, c):
    """a kernel without the error queue: trace what exists, say what is missing"""
    r = bed.boot(args, "noseries", "open error get close", trace="-T -v")
    p = f"{bed.name}/noseries"

    def degrades():
        eq(r.trace_rc, 0, "exit code")
        eq(len(re.findall(r"this kernel has no zPCI error queue", r.trace_err)), 1, "lines saying the queue is absent")
        want = {h: ("absent", None) for h in ALL_HOOKS}
        want.update({"zpci_event_error": ("kprobe", None), "zpci_event_availability": ("kprobe", None),
                     "zpci_hot_reset_device": ("kprobe", None),
                     "vfio_pci_core_aer_err_detected": ("kprobe", "vfio_pci_core")})
        eq(r.hooks, want, "hooks")
    c.check(f"{p}: runs without error and reports the queue hooks absent in one line", degrades)

    def traces_what_exists():
        (a,) = r.events("arrival")
        dmesg_reports(r, a)
        eq(len(r.events("notify")), 1, "notifications")
        eq(r.events("enqueue", "dequeue", "open", "close"), [], "queue events")
    c.check(f"{p}: arrivals and notifications are traced; no queue events", traces_what_exists)


SCENARIOS = {  # name: (fn, beds)
    "pecs": (scenario_pecs, ["debian-7.3"]),
    "one": (scenario_one, ["debian-7.3", "jit-7.3"]),
    "overflow": (scenario_overflow, ["debian-7.3", "jit-7.3"]),
    "close": (scenario_close, ["debian-7.3", "jit-7.3"]),
    "badget": (scenario_badget, ["debian-7.3", "jit-7.3"]),
    "derived": (scenario_derived, ["debian-7.3", "jit-7.3"]),
    "kprobes": (scenario_kprobes, ["jit-7.3"]),
    "noreader": (scenario_noreader, ["debian-7.3"]),
    "prom": (scenario_prom, ["debian-7.3"]),
    "record": (scenario_record, ["debian-7.3"]),
    "rotate": (scenario_rotate, ["debian-7.3"]),
    "guests": (scenario_guests, ["debian-7.3"]),
    "flight": (scenario_flight, ["debian-7.3"]),
    "kill9": (scenario_kill9, ["debian-7.3"]),
    "json": (scenario_json, ["debian-7.3"]),
    "fid": (scenario_fid, ["debian-7.3"]),
    "late": (scenario_late, ["debian-7.3"]),
    "late-prom": (scenario_late_prom, ["debian-7.3"]),
    "reload": (scenario_reload, ["debian-7.3"]),
    "reload-prom": (scenario_reload_prom, ["debian-7.3"]),
    "atstart": (scenario_atstart, ["debian-7.3", "jit-7.3"]),
    "input": (scenario_input, ["debian-7.3"]),
    "hotplug": (scenario_hotplug, ["debian-7.3"]),
    "noseries": (scenario_noseries, ["debian-6.12"]),
    "v12": (scenario_v12, ["v12-7.3"]),
    "v12-prom": (scenario_v12_prom, ["v12-7.3"]),
    "alerts": (scenario_alerts, ["debian-7.3"]),
    "system": (scenario_system, ["system-7.3"]),
}


def verify_kernel(path):
    """shared kernels come with SHA256SUMS beside them"""
    sums = os.path.join(os.path.dirname(path), "SHA256SUMS")
    if not os.path.exists(sums):
        return
    for line in open(sums):
        digest, name = line.split()
        if name == os.path.basename(path):
            with open(path, "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != digest:
                    raise AssertionError(f"{path} does not match {sums}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bed", action="append", required=True, help="NAME=VMLINUZ,INITRD")
    ap.add_argument("--out", required=True)
    ap.add_argument("-k", dest="only", action="append", help="run only these scenarios")
    ap.add_argument("--skip-bed", action="append", default=[], help="a bed without its kernel: its scenarios are skipped")
    system = ap.add_argument_group("the system bed (scenario system)")
    system.add_argument("--system-root", help="the cached Debian root (mk/deps.sh sysbed)")
    system.add_argument("--system-modules", help="the bed kernel's modules directory, copied into the root")
    system.add_argument("--deb", help="the package (make deb)")
    system.add_argument("--deb-next", help="a newer build of it, for the upgrade")
    system.add_argument("--vmm", help="the static s390x guest VMM")
    system.add_argument("--zpcitrace", default=ZPCITRACE_HOST, help="this host's zpcitrace, for report")
    a = ap.parse_args()
    beds = {}
    c = Checks()
    for spec in a.bed:
        name, files = spec.split("=", 1)
        kernel, initrd = files.split(",", 1)
        beds[name] = Bed(name, kernel, initrd, c)
    for name, (fn, bed_names) in SCENARIOS.items():
        if a.only and name not in a.only:
            continue
        for bn in bed_names:
            if bn in a.skip_bed:
                continue  # said once, by make
            print(f"== {bn}/{name}: {fn.__doc__ or scenario_overflow.__doc__}", flush=True)
            try:
                if bn not in beds:
                    raise AssertionError(f"no bed {bn} was given")
                if not os.path.exists(beds[bn].kernel):
                    raise AssertionError(f"kernel {beds[bn].kernel} is missing")
                verify_kernel(beds[bn].kernel)
                fn(a, beds[bn], c)
            except (subprocess.CalledProcessError, AssertionError, OSError) as e:
                c.failed += 1
                print(f"FAIL {bn}/{name}: the scenario did not run: {e}", flush=True)
    print(f"{c.passed} passed, {c.failed} failed")
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main()
