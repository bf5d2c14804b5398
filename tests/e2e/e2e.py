#!/usr/bin/env python3
"""End-to-end tests of zpcitrace in the s390x bed: each scenario boots the guest, runs zpcitrace around the
guest VMM program (zpci_vmm), and compares what zpcitrace printed with what the VMM observed (its "GT"
lines: what it read back, not what it meant to provoke, since QEMU now and then raises two events for one
trigger) and with the guest's dmesg.

  e2e.py --kernel-dir K --initrd BASE.cpio.gz --out DIR [-k NAME]

Ends with the line "N passed, N failed"; exits 1 when a check failed.
"""
import argparse
import os
import re
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TS = re.compile(r"^\d\d:\d\d:\d\d\.\d{6} ")


def kv(tokens):
    out = {}
    for t in tokens:
        if "=" in t:
            k, v = t.split("=", 1)
            out[k] = v
    return out


def parse_trace(path):
    """zpcitrace's event lines as dicts: 'event', 'ts' (when -T) and the key=value fields"""
    events = []
    for line in open(path):
        line = line.rstrip("\n")
        ts = None
        if TS.match(line):
            ts, line = line[:15], line[16:]
        words = line.split()
        if not words:
            continue
        e = kv(words[1:])
        e["event"], e["ts"] = words[0], ts
        if "pec" in e:
            e["pec"] = e["pec"].split("/")[0]
        events.append(e)
    return events


def parse_gt(path):
    """the guest VMM's ground truth: ('what', {fields}) per GT line"""
    out = []
    for line in open(path):
        if line.startswith("GT "):
            words = line.split()
            out.append((words[1], kv(words[2:])))
    return out


class Run:
    def __init__(self, out):
        self.dir = os.path.join(out, "out")
        self.trace = parse_trace(self.path("trace.txt"))
        self.trace_err = open(self.path("trace.err")).read()
        self.gt = parse_gt(self.path("vmm.txt"))
        self.dmesg = open(self.path("dmesg.txt")).read()
        self.trace_rc = int(open(self.path("trace.rc")).read())

    def path(self, name):
        p = os.path.join(self.dir, name)
        if not os.path.exists(p):
            raise AssertionError(f"the guest produced no {name} (see {os.path.dirname(self.dir)}/console.log)")
        return p

    def events(self, name):
        return [e for e in self.trace if e["event"] == name]

    def gt_of(self, what):
        return [f for w, f in self.gt if w == what]


def boot(args, name, vmm, trace_args="-T"):
    out = os.path.join(args.out, name)
    cmd = [sys.executable, os.path.join(HERE, "bed.py"), "run", "--kernel-dir", args.kernel_dir,
           "--initrd", args.initrd, "--out", out, "--timeout", "300",
           "--conf", f'ZT_TRACE="{trace_args}"', "--conf", f'ZT_VMM="{vmm}"']
    subprocess.run(cmd, check=True)
    return Run(out)


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
        raise AssertionError(f"{what}: zpcitrace {got!r} != guest {want!r}")


def ccdf_of(f):
    return (int(f["fid"], 16), int(f["fh"], 16), int(f["pec"], 16), int(f["faddr"], 16))


def scenario_errors(args, c):
    """one PEC 0x0004 and one PEC 0x0002 error, each read back at once"""
    r = boot(args, "errors", "open probe get error drain error-low drain close", trace_args="-T -v")
    gets = r.gt_of("get")
    read_back = [g for g in gets if g["rc"] == "0"]

    def provoked_both_pecs():
        pecs = {int(g["pec"], 16) for g in read_back}
        if not {0x0004, 0x0002} <= pecs:
            raise AssertionError(f"the guest read back PECs {sorted(pecs)}, wanted 0x4 and 0x2")
    c.check("errors: the guest VMM provoked and read real PEC 0x0004 and 0x0002 errors", provoked_both_pecs)

    def tracer_ran():
        eq(r.trace_rc, 0, "zpcitrace exit code")
        if "arrivals" not in r.trace_err:
            raise AssertionError("no exit summary on stderr")
    c.check("errors: zpcitrace attached, traced and exited 0 on SIGINT with a summary", tracer_ran)

    def arrivals_match():
        eq([ccdf_of(e) for e in r.events("arrival")], [ccdf_of(g) for g in read_back],
           "arrivals (fid, fh, pec, faddr)")
    c.check("errors: each arrival's fid, fh, PEC and faddr equal the CCDF the guest read back", arrivals_match)

    def dequeues_match():
        got = [(int(e["rc"]) if e["rc"].lstrip("-").isdigit() else e["rc"],
                ccdf_of(e) if e["rc"] == "0" else None) for e in r.events("dequeue")]
        want = [(0 if g["rc"] == "0" else {"-42": "-ENOMSG"}.get(g["rc"], g["rc"]),
                 ccdf_of(g) if g["rc"] == "0" else None) for g in gets]
        eq(got, want, "dequeues (rc, ccdf)")
    c.check("errors: each dequeue's result and CCDF equal the guest's GET (0 or -ENOMSG)", dequeues_match)

    def probe_matches():
        eq([e["rc"] for e in r.events("probe")], [g["rc"] for g in r.gt_of("probe")], "probe results")
    c.check("errors: the PROBE call is reported with its result", probe_matches)

    def summary_counts():
        want = (f"{len(read_back)} arrivals, {len(read_back)} dequeued, {len(gets) - len(read_back)} empty reads "
                "(-ENOMSG), 0 lost after dequeue (-EFAULT), 1 probes")
        if want not in r.trace_err:
            raise AssertionError(f"summary lacks '{want}': {r.trace_err.strip().splitlines()[-1:]}")
    c.check("errors: the exit summary counts what the guest did", summary_counts)

    def callers():
        eq({e["comm"] for e in r.events("arrival")}, {"kmcheck"}, "arrival context")
        eq({e["comm"] for e in r.events("dequeue")}, {"zpci_vmm"}, "dequeue caller")
    c.check("errors: arrivals run in kmcheck, dequeues in the VMM process", callers)

    def queue_after_dequeue():
        heads = [int(e["head"]) for e in r.events("dequeue") if e["rc"] == "0"]
        eq(heads, list(range(1, len(heads) + 1)), "queue head after each successful dequeue")
        eq({e["queue"] for e in r.events("dequeue")}, {"0"}, "queue depth after dequeues")
    c.check("errors: queue state after each dequeue (head advances, depth 0)", queue_after_dequeue)

    def verbose_hooks():
        hooks = dict(re.findall(r"^zpcitrace: hook (\S+) +\S+ +(\S+)$", r.trace_err, re.M))
        eq(hooks, {"zpci_event_error": "kprobe", "vfio_pci_zdev_feature_err": "kprobe",
                   "zpci_get_pending_error": "kprobe"}, "-v hooks and attach modes")
    c.check("errors: -v reports every hook with its attach mode (kprobe on Debian's 7.3)", verbose_hooks)

    def timestamps():
        if not r.trace or any(e["ts"] is None for e in r.trace):
            raise AssertionError("-T: an event line without a timestamp")
        ts = [e["ts"] for e in r.trace]
        eq(ts, sorted(ts), "event order by -T timestamp")
    c.check("errors: -T prefixes every event with its time, in order", timestamps)

    def dmesg_agrees():
        for e in r.events("arrival"):
            want = f"Event 0x{int(e['pec'], 16):x} reports an error for PCI function 0x{int(e['fid'], 16):x}"
            if want not in r.dmesg:
                raise AssertionError(f"dmesg lacks '{want}'")
    c.check("errors: dmesg reports each traced arrival", dmesg_agrees)


def scenario_queued(args, c):
    """errors left queued, a GET with a bad data pointer, close with errors still queued"""
    r = boot(args, "queued", "open error error error get badget close")
    arrivals = r.events("arrival")

    def efault_is_lost():
        bad = r.gt_of("badget")
        eq([g["rc"] for g in bad], ["-14"], "the guest's bad-pointer GET")
        lost = [e for e in r.events("dequeue") if e.get("lost") == "1"]
        eq([(e["rc"], e["pec"]) for e in lost], [("-EFAULT", "0x0004")], "lost dequeues")
        # the lost entry is the one after the read one: FIFO
        eq(ccdf_of(lost[0]), ccdf_of(arrivals[1]), "the lost CCDF")
    c.check("queued: a GET with a bad data pointer is an -EFAULT dequeue that lost its CCDF", efault_is_lost)

    def close_discards_rest():
        read = [g for g in r.gt_of("get") if g["rc"] == "0"]
        left = len(arrivals) - len(read) - 1
        m = re.findall(r"Unhandled PCI error events count=(\d+) for PCI function 0x1", r.dmesg)
        eq(m, [str(left)], "errors discarded at close (dmesg)")
        if left < 1:
            raise AssertionError("no error was left queued at close")
    c.check("queued: errors left queued at close are what the kernel discards", close_discards_rest)

    def summary_counts():
        want = (f"{len(arrivals)} arrivals, 1 dequeued, 0 empty reads (-ENOMSG), 1 lost after dequeue (-EFAULT), "
                "0 probes, 0 other feature calls; 0 events lost in the ring buffer")
        if want not in r.trace_err:
            raise AssertionError(f"summary lacks '{want}': {r.trace_err.strip().splitlines()[-1:]}")
    c.check("queued: the exit summary counts arrivals, dequeues and losses", summary_counts)


SCENARIOS = {"errors": scenario_errors, "queued": scenario_queued}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel-dir", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("-k", dest="only", action="append", help="run only these scenarios")
    a = ap.parse_args()
    c = Checks()
    for name, fn in SCENARIOS.items():
        if a.only and name not in a.only:
            continue
        print(f"== e2e scenario {name}: {fn.__doc__}", flush=True)
        try:
            fn(a, c)
        except (subprocess.CalledProcessError, AssertionError) as e:
            c.failed += 1
            print(f"FAIL {name}: the scenario did not run: {e}", flush=True)
    print(f"{c.passed} passed, {c.failed} failed")
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main()
