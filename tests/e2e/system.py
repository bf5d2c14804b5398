"""The system bed: zpcitrace installed as a Z operator installs it, from its .deb into a Debian sid s390x userspace
with systemd and Debian's prometheus-node-exporter (mk/deps.sh sysbed builds that root once and caches it). Each
run boots a copy of the root over virtio-9p (tests/e2e/guest/init-9p) with the bed's zPCI functions; its
zt-system.service runs tests/e2e/guest/system.sh (install, enable --now before vfio, overflow read through
node_exporter, stop, upgrade, recorder, purge) and powers off. The checks below read what it left in the root.

e2e.py runs it as the scenario "system" of the bed system-7.3 (Debian's 7.3 kernel, its modules in the root).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time

from parse import gt_notified, gt_reads, parse_gt, prom_samples

HERE = os.path.dirname(os.path.abspath(__file__))
FID = 'fid="0x00000001"'
PEC = 'pec="0x0004"'


def prepare_root(run, a):
    """a copy of the cached root with the kernel's modules, the packages, the VMM and the session's unit"""
    root = os.path.join(run, "root")
    if os.path.exists(root):
        subprocess.run(["rm", "-rf", "--one-file-system", root], check=True)
    os.makedirs(run, exist_ok=True)
    subprocess.run(["cp", "-a", "--reflink=auto", a.system_root, root], check=True)
    moddir = os.path.realpath(a.system_modules)
    kver = os.path.basename(moddir)
    os.makedirs(os.path.join(root, "usr/lib/modules"), exist_ok=True)
    subprocess.run(["cp", "-a", "-L", moddir, os.path.join(root, "usr/lib/modules", kver)], check=True)
    # the root's own depmod, run by qemu-user with the root as its library prefix (no chroot, no binfmt_misc)
    subprocess.run(["qemu-s390x-static", "-L", root, os.path.join(root, "usr/sbin/depmod"), "-b", root, kver],
                   check=True)
    z = os.path.join(root, "root/zt")
    for sub, deb in (("old", a.deb), ("new", a.deb_next)):
        os.makedirs(os.path.join(z, sub))
        shutil.copy(deb, os.path.join(z, sub))
    for f in (a.vmm, os.path.join(HERE, "guest", "system.sh")):
        shutil.copy(f, z)
        os.chmod(os.path.join(z, os.path.basename(f)), 0o755)
    units = os.path.join(root, "etc/systemd/system")
    shutil.copy(os.path.join(HERE, "guest", "zt-system.service"), units)
    os.symlink("../zt-system.service", os.path.join(units, "multi-user.target.wants", "zt-system.service"))
    return root


def boot(args, bed):
    run = os.path.join(args.out, bed.name, "system")
    t0 = time.time()
    root = prepare_root(run, args)
    prep = time.time() - t0
    # a guard against a hang, not a bound on speed: a busy host slows TCG several times over
    subprocess.run([sys.executable, os.path.join(HERE, "bed.py"), "run", "--kernel", bed.kernel, "--initrd", bed.initrd,
                    "--root", root, "--out", run, "--timeout", "1800", "--mem", "2048", "--smp", "2",
                    "--append", "systemd.show_status=0"], check=True)
    wall = float(open(os.path.join(run, "wall.txt")).read())
    print(f"   system bed: root copied in {prep:.1f} s, booted and ran the session in {wall:.1f} s", flush=True)
    return Results(os.path.join(root, "root/zt/out"), run)


class Results:
    """what system.sh left in /root/zt/out"""

    def __init__(self, out, run):
        self.out, self.run = out, run
        if not os.path.exists(os.path.join(out, "steps.txt")):
            raise AssertionError(f"the session left no results (see {run}/console.log)")

    def text(self, name):
        p = os.path.join(self.out, name)
        if not os.path.exists(p):
            raise AssertionError(f"the session produced no {name} (steps: {self.text('steps.txt')!r})")
        return open(p).read()

    def num(self, name):
        return int(self.text(name).strip())

    def state(self, step, unit):
        return dict(l.split("=", 1) for l in self.text(f"{step}.{unit}.state").splitlines() if "=" in l)

    def gt(self, step):
        return parse_gt(os.path.join(self.out, f"{step}.vmm.txt"))

    def notified(self, step):
        return gt_notified(self.gt(step))

    def reads(self, step):
        return gt_reads(self.gt(step))

    def metrics(self, name):
        return prom_samples(self.text(name))


def eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: {got!r} != expected {want!r}")


def overflowed(r, step):
    n = r.notified(step)
    if n < 5:  # QEMU now and then raises one event too many or too few for a trigger: what the guest saw rules
        raise AssertionError(f"{step}: the guest saw {n} error notifications for 6 triggers: no overflow")
    return n


def scenario_system(args, bed, c):
    """Debian sid with systemd: the .deb installed, its services run, upgraded and purged"""
    r = boot(args, bed)
    p = f"{bed.name}/system"
    next_version = re.search(r"zpcitrace_(.+)_s390x\.deb$", args.deb_next).group(1)

    def booted():
        eq(r.text("boot.failed"), "", "systemctl --failed")
        eq(r.num("boot.vfio"), 0, "vfio modules loaded at boot")
    c.check(f"{p}: Debian's systemd boots with no failed unit and no vfio module loaded", booted)

    def installed():
        eq(r.num("install.rc"), 0, f"dpkg -i exit code ({r.text('install.txt')!r})")
        s = r.state("install", "exporter")
        eq((s["UnitFileState"], s["ActiveState"]), ("enabled", "active"), "exporter after dpkg -i")
        eq(r.num("install.vfio"), 0, "vfio modules loaded")
    c.check(f"{p}: dpkg -i runs the maintainer scripts: the exporter is enabled and started", installed)

    def enabled_before_vfio():
        eq(r.num("enable.rc"), 0, f"systemctl enable --now ({r.text('enable.txt')!r})")
        eq(r.state("disable", "exporter")["UnitFileState"], "disabled", "after disable --now")
        s = r.state("enable", "exporter")
        eq((s["UnitFileState"], s["ActiveState"], r.num("enable.vfio")), ("enabled", "active", 0),
           "exporter after enable --now, vfio modules loaded")
        j = r.text("exporter.journal")
        for h in ("vfio_pci_core_aer_err_detected", "vfio_pci_zdev_feature_err"):
            for line in (f"module vfio_pci_core is not loaded: {h} pending until it is",
                         f"module vfio_pci_core loaded: {h} kprobe"):
                if line not in j:
                    raise AssertionError(f"the journal lacks '{line}'")
    c.check(f"{p}: systemctl enable --now starts it before vfio-pci; its module hooks attach when vfio-pci loads",
            enabled_before_vfio)

    def notify():
        eq(r.num("enable.ready"), 1, "the 'Tracing' line in the journal when systemctl enable --now returned")
        st = r.text("enable.status")
        if "Active: active (running)" not in st or not re.search(r'Status: "tracing: \d+ hooks, \d+ pending; ', st):
            raise AssertionError(f"systemctl status after the start: {st!r}")
        n = overflowed(r, "overflow")
        st = r.text("overflow.status")
        if f"{n} errors, {n - 4} dropped, 0 lost, 0 discarded; 0 events not seen; textfile written at " not in st:
            raise AssertionError(f"systemctl status after the overflow ({n} errors) does not say so: {st!r}")
        eq(r.text("watchdog.usec").strip(), "1min", "WatchdogSec")
        if int(r.text("watchdog.2")) <= int(r.text("watchdog.1")):
            raise AssertionError("no WATCHDOG=1 in 35 s: the watchdog's timestamp did not move")
    c.check(f"{p}: Type=notify: active once tracing; systemctl status shows its STATUS line, which follows the errors; "
            "the main loop pets the watchdog", notify)

    def journal():
        j = r.text("exporter.journal")
        for line in ("Started zpcitrace-exporter.service", "Tracing zPCI error events"):
            if line not in j:
                raise AssertionError(f"journalctl -u zpcitrace-exporter lacks '{line}'")
    c.check(f"{p}: journalctl -u zpcitrace-exporter shows its start line", journal)

    def loss_lines():
        # --log-losses, on in the shipped unit: a warning in the journal per error dropped, by the overflow
        # sessions the exporter watched (the old build's and, after the upgrade, the new one's)
        dropped = overflowed(r, "overflow") - 4 + overflowed(r, "recorder") - 4
        lines = [x for x in r.text("exporter.warnings").splitlines() if "zpcitrace: loss=dropped n=1 fid=0x00000001 " in x]
        eq(len(lines), dropped, "loss lines (priority warning) for the errors dropped")
        for x in lines:
            if not re.search(r" pec=0x0004/tprote .*pid=\d+ comm=zpci_vmm consumer=\w+: the queue held 4 errors, .*"
                             r"\(runbook: ZpciErrorsDropped\)$", x):
                raise AssertionError(f"a loss line without its PEC, owner, consumer or alert: {x!r}")
    c.check(f"{p}: the exporter unit logs a warning per dropped error: function, PEC, owner, consumer, alert",
            loss_lines)

    def support_tools():
        eq(r.num("sos.rc"), 0, f"sos report exit code ({r.text('sos.txt')[-600:]!r})")
        # the archive, read here (the bed's minbase has no xz to list it)
        (archive,) = [os.path.join(r.out, "sos", f) for f in os.listdir(os.path.join(r.out, "sos"))
                      if re.fullmatch(r"sosreport-.*\.tar\.xz", f)]
        with tarfile.open(archive) as t:
            files = t.getnames()
            cap = next((f for f in files if re.search(r"/var/lib/zpcitrace/capture\.jsonl$", f)), None)
            if cap:
                with open(os.path.join(r.out, "sos", "capture.jsonl"), "wb") as out:
                    out.write(t.extractfile(cap).read())
        want = {"zpcitrace --version": r"/sos_commands/zpcitrace/zpcitrace_--version$",
                "zpcitrace status": r"/sos_commands/zpcitrace/zpcitrace_status$",
                "zpcitrace status -j": r"/sos_commands/zpcitrace/zpcitrace_status_-j$",
                "the units' journal": r"/sos_commands/zpcitrace/journalctl_.*zpcitrace-exporter",
                "the textfile": r"/var/lib/prometheus/node-exporter/zpcitrace\.prom$",
                "the options": r"/etc/default/zpcitrace$",
                "the capture": r"/var/lib/zpcitrace/capture\.jsonl$",
                "the extras.d drop-in's commands": r"/sos_commands/sos_extras/zpcitrace/zpcitrace_status"}
        missing = [w for w, rx in want.items() if not any(re.search(rx, f) for f in files)]
        if missing:
            raise AssertionError(f"the sos archive lacks {missing}")
        # the capture in the archive reads back on this host, with the recorder session's errors
        rep = subprocess.run([args.zpcitrace, "report", "-j", os.path.join(r.out, "sos", "capture.jsonl")],
                             capture_output=True, text=True)
        eq(rep.returncode, 0, f"report of the capture sos collected ({rep.stderr!r})")
        eq(json.loads(rep.stdout)["counters"]["arrived"], overflowed(r, "recorder"), "its arrivals")
        sc = r.text("supportconfig.txt")
        eq(r.num("supportconfig.rc"), 0, "the supportconfig plugin's exit code")
        for section in ("#==[ Command ]======================================#\n# /usr/sbin/zpcitrace --version\nzpcitrace ",
                        "# /usr/sbin/zpcitrace status\nzPCI functions: ",
                        "#==[ Configuration File ]===========================#\n"
                        "# /var/lib/prometheus/node-exporter/zpcitrace.prom\n# HELP ",
                        "# /usr/sbin/zpcitrace report /var/lib/zpcitrace/capture.jsonl\nzpcitrace: summary\n",
                        "# /var/lib/zpcitrace/capture.jsonl\n{\"format\":\"zpcitrace-capture\""):
            if section not in sc:
                raise AssertionError(f"the supportconfig plugin's output lacks {section!r}")
    c.check(f"{p}: sos report (Debian's sosreport) runs zpcitrace's plugin and its extras.d drop-in: the archive "
            "holds the version, status, the journal, the textfile, the options and a capture that reports here; "
            "the supportconfig plugin writes its sections", support_tools)

    def permanent():
        s = r.state("permanent", "exporter")
        eq((s["ActiveState"], s["Result"], s["ExecMainStatus"], s["NRestarts"]), ("failed", "exit-code", "78", "0"),
           "the exporter with a --btf file that does not exist, 25 s after its start (RestartSec=10)")
        if "cannot read the BTF file /nonexistent/vmlinux.btf" not in r.text("exporter.journal"):
            raise AssertionError("the journal does not say why the exporter failed")
    c.check(f"{p}: a condition no restart mends (an unreadable --btf) fails the exporter once, exit 78, and "
            "systemd does not restart it", permanent)

    def runbook():
        blocks = sorted(f for f in os.listdir(r.out) if re.fullmatch(r"runbook\.\d+\.sh", f))
        if len(blocks) < 2:
            raise AssertionError(f"only {len(blocks)} runnable blocks in the installed runbook")
        for b in blocks:
            out = r.text(b[:-3] + ".out")
            eq(r.num(b[:-3] + ".rc"), 0, f"{b} ({r.text(b)!r}) exit code, output {out[-400:]!r}")
        outs = "".join(r.text(b[:-3] + ".out") for b in blocks)
        for want in ("zPCI functions:", '"event":"status"', "owners and consumers", "open     fid=0x00000001"):
            if want not in outs:
                raise AssertionError(f"the runbook's commands printed no {want!r}")
    c.check(f"{p}: every sh block of the installed runbook runs as written (status, report of the rotated "
            "capture, its events)", runbook)

    def scraped():
        n, reads = overflowed(r, "overflow"), len(r.reads("overflow"))
        m = r.metrics("overflow.metrics")
        want = {f"zpcitrace_errors_arrived_total{{{FID},{PEC}}}": n,
                f"zpcitrace_errors_stored_total{{{FID},{PEC}}}": 4, f"zpcitrace_errors_dropped_total{{{FID},{PEC}}}": n - 4,
                f"zpcitrace_errors_dequeued_total{{{FID},{PEC}}}": reads,
                f"zpcitrace_errors_discarded_total{{{FID},{PEC}}}": 0, f"zpcitrace_errors_lost_total{{{FID},{PEC}}}": 0,
                f"zpcitrace_empty_reads_total{{{FID}}}": 1, f"zpcitrace_queue_depth_max{{{FID}}}": 4,
                f"zpcitrace_books_balanced{{{FID}}}": 1, f"zpcitrace_errors_unseen_total{{{FID}}}": 0,
                "zpcitrace_ringbuf_lost_events_total": 0, "zpcitrace_untraced_returns_total": 0,
                'zpcitrace_uapi_info{form="merged"}': 1,
                "node_textfile_scrape_error": 0}
        eq({k: m.get(k) for k in want}, want, "node_exporter's /metrics")
        eq(reads, 4, "errors the guest read back")
    c.check(f"{p}: curl of node_exporter's /metrics in the guest shows the overflow's exact counts", scraped)

    def stopped():
        n = r.notified("stop")
        before, after = r.metrics("stop.before.prom"), r.metrics("stop.after.prom")
        key = f"zpcitrace_errors_arrived_total{{{FID},{PEC}}}"
        eq(before.get(key), None, "the session's errors in the textfile before the stop (interval 600 s)")
        eq((after.get(key), after.get(f"zpcitrace_errors_dequeued_total{{{FID},{PEC}}}"),
            after.get(f"zpcitrace_empty_reads_total{{{FID}}}"), after.get(f"zpcitrace_books_balanced{{{FID}}}")),
           (n, len(r.reads("stop")), 1, 1), "arrived, dequeued, empty reads, balanced after the stop")
        eq(len(r.reads("stop")), 2, "errors the guest read back")
        s = r.state("stop", "exporter")
        eq((s["ActiveState"], s["Result"], s["ExecMainStatus"]), ("inactive", "success", "0"), "the stopped unit")
    c.check(f"{p}: systemctl stop leaves the final state in the textfile (the last session only it wrote)", stopped)

    def upgraded():
        eq(r.num("upgrade.rc"), 0, f"dpkg -i of the newer build ({r.text('upgrade.txt')!r})")
        before, after = r.state("preupgrade", "exporter"), r.state("upgrade", "exporter")
        eq((before["ActiveState"], after["ActiveState"], after["UnitFileState"]), ("active", "active", "enabled"),
           "exporter before and after the upgrade")
        if after["MainPID"] in ("0", before["MainPID"]):
            raise AssertionError(f"not restarted on the new binary: MainPID {before['MainPID']} -> {after['MainPID']}")
        eq(r.text("upgrade.version").strip(), next_version, "the installed version")
        eq(r.metrics("upgrade.prom").get(f'zpcitrace_build_info{{version="{next_version}"}}'), 1,
           "the running exporter's build_info")
        eq(r.text("upgrade.conf").strip(), "ZPCITRACE_INTERVAL=600", "the operator's edit of /etc/default/zpcitrace")
    c.check(f"{p}: an upgrade to a newer build keeps the exporter running (restarted on the new binary, the "
            "operator's options kept)", upgraded)

    def recorded():
        n = overflowed(r, "recorder")
        s = r.state("recorder.start", "recorder")
        eq((s["UnitFileState"], s["ActiveState"]), ("disabled", "active"), "recorder started (not enabled)")
        s = r.state("recorder", "recorder")
        eq((s["ActiveState"], s["Result"], s["ExecMainStatus"]), ("inactive", "success", "0"), "the stopped recorder")
        eq(r.text("recorder.dir").strip(), "750 root /var/lib/zpcitrace", "the state directory")
        cap = os.path.join(r.out, "capture", "capture.jsonl")
        rep = subprocess.run([args.zpcitrace, "report", "-j", cap], capture_output=True, text=True)
        eq((rep.returncode, rep.stderr), (0, ""), "zpcitrace report on this host")
        j = json.loads(rep.stdout)
        (f,) = j["functions"]
        k = f["counters"]
        eq((f["fid"], k["arrived"], k["stored"], k["dropped"], k["dequeued"], f["books"]["balanced"]), ("0x00000001", n, 4, n - 4, len(r.reads("recorder")), True),
           "fid, arrived, stored, dropped, dequeued, balanced")
        eq(json.loads(open(cap).read().splitlines()[-1]).get("reason"), "exit", "the trailer's reason")
    c.check(f"{p}: the recorder service's capture reports on this host with the counts the guest saw", recorded)

    def purged():
        eq(r.num("purge.rc"), 0, f"dpkg --purge ({r.text('purge.txt')!r})")
        files = r.text("purge.files").split()
        for f in ("/usr/sbin/zpcitrace", "/etc/default/zpcitrace", "/usr/lib/systemd/system/zpcitrace-exporter.service",
                  "/usr/lib/systemd/system/zpcitrace-recorder.service"):
            if f not in files:
                raise AssertionError(f"dpkg -L zpcitrace lacks {f}")
        eq((r.text("purge.left"), r.text("purge.units"), r.text("purge.procs")), ("", "", ""),
           "left behind: files, unit files, processes")
        warnings = [l for l in r.text("purge.txt").splitlines() if "warning" in l]
        eq(warnings, [], "dpkg's warnings (e.g. a directory left behind)")
    c.check(f"{p}: dpkg --purge removes every file it installed, its conffile, the capture and the textfile", purged)
