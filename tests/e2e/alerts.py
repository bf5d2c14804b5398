"""The shipped alert rules on a real monitoring stack, on this host's loopback: Debian's prometheus-node-exporter
serves the textfiles the guest's exporter wrote, Debian's prometheus scrapes them every second and evaluates
packaging/prometheus/zpcitrace.rules.yml, Debian's prometheus-alertmanager routes what fires to a webhook
receiver here. Every process is started with a hard lifetime (timeout) and stopped when the checks end.

e2e.py runs it as the scenario "alerts" of the bed debian-7.3: three guest runs (an overflow, errors nobody
reads then a close, one error read back at once) and four textfiles (each run's last, and the no-reader run's while
its errors were queued), one node_exporter each, labelled scenario=NAME. Prometheus loads a copy of the rules
with ZpciErrorsUnread's threshold at 2 s instead of 300 s, as docs/runbook.md ("Thresholds") tells an operator
to change it: errors a few seconds old must fire it within a bounded test.
"""
import calendar
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = os.path.join(HERE, "..", "..", "packaging", "prometheus", "zpcitrace.rules.yml")
LIFETIME = 600  # seconds: no process of the stack outlives a hung test
DEADLINE = 180  # seconds to wait for what must come (a guard against a hang, not a measure of speed)

UNREAD_THRESHOLD = 2  # seconds, in the copy of the rules

# the guest's sessions: VMM commands; zpcitrace exports every second. The no-reader session holds the device
# open with its errors queued while the bed copies the textfile (held.prom), then closes.
SESSIONS = {
    "overflow": "open error error error error error error drain close",
    # 6 s between its last error and the hold: its consumer is judged (never_reads) when the textfile is copied
    "noreader": "open error error error sleep-6000 hold close",
    "clean": "open error drain close",  # drain: clean even when QEMU raises one event too many
}


def rules_copy(path):
    """the shipped rules with ZpciErrorsUnread's documented threshold changed"""
    text = open(RULES).read()
    old = "(time() - zpcitrace_queue_oldest_pending_timestamp_seconds) > 300"
    if text.count(old) != 1:
        raise AssertionError(f"ZpciErrorsUnread's threshold is not where docs/runbook.md says: {RULES}")
    with open(path, "w") as f:
        f.write(text.replace(old, old.replace("> 300", f"> {UNREAD_THRESHOLD}")))
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def expected_alerts(r, held=False):
    """what the rules must fire for a run's textfile, from what the guest observed (all its errors came before
    its reads); held: the textfile copied at the VMM's hold, its errors still queued and never asked for"""
    n, reads = r.notified(), len(r.reads())
    want = set()
    if n > 4:
        want.add(("ZpciErrorsDropped", "0x00000001", "0x0004"))
    if held:
        want.add(("ZpciErrorsUnread", "0x00000001", None))
        if not reads:  # notified, never read, the device held open: what stock QEMU does (the guest stopped)
            want.add(("ZpciGuestStopped", "0x00000001", None))
    elif min(n, 4) > reads:
        want.add(("ZpciErrorsDiscarded", "0x00000001", "0x0004"))
    return want


class Webhook:
    """Alertmanager's webhook receiver: keeps every payload POSTed to it"""

    def __init__(self):
        self.payloads = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.payloads.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Stack:
    """node_exporters, Prometheus and Alertmanager on loopback, in one temporary directory"""

    def __init__(self, textfiles, rules, logdir):
        self.dir = tempfile.mkdtemp(prefix="zt-alerts-")
        self.logdir, self.procs, self.logs = logdir, [], []
        self.hook = Webhook()
        try:
            self.launch(textfiles, rules)
        except BaseException:
            self.stop()  # what already runs goes, whatever failed to start
            raise

    def launch(self, textfiles, rules):
        self.am_port, self.prom_port = free_port(), free_port()
        targets = []
        for name, path in textfiles.items():
            d = os.path.join(self.dir, f"textfile-{name}")
            os.makedirs(d)
            shutil.copy(path, os.path.join(d, "zpcitrace.prom"))
            port = free_port()
            self.start(f"node-exporter-{name}", "prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{port}",
                       "--collector.disable-defaults", "--collector.textfile", f"--collector.textfile.directory={d}")
            targets.append({"targets": [f"127.0.0.1:{port}"], "labels": {"scenario": name}})
        am_conf = {"route": {"receiver": "hook", "group_by": ["alertname", "scenario"], "group_wait": "1s",
                             "group_interval": "1s", "repeat_interval": "1h"},
                   "receivers": [{"name": "hook", "webhook_configs": [
                       {"url": f"http://127.0.0.1:{self.hook.port}/", "send_resolved": False}]}]}
        prom_conf = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                     "rule_files": [os.path.abspath(rules)],
                     "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{self.am_port}"]}]}]},
                     "scrape_configs": [{"job_name": "node", "static_configs": targets}]}
        # JSON is YAML: both read these files as they are
        for name, conf in (("alertmanager.yml", am_conf), ("prometheus.yml", prom_conf)):
            with open(os.path.join(self.dir, name), "w") as f:
                json.dump(conf, f, indent=1)
        self.start("alertmanager", "prometheus-alertmanager", f"--config.file={self.dir}/alertmanager.yml",
                   f"--storage.path={self.dir}/am", f"--web.listen-address=127.0.0.1:{self.am_port}",
                   "--cluster.listen-address=")
        self.start("prometheus", "prometheus", f"--config.file={self.dir}/prometheus.yml",
                   f"--storage.tsdb.path={self.dir}/tsdb", f"--web.listen-address=127.0.0.1:{self.prom_port}")

    def start(self, name, *cmd):
        log = open(os.path.join(self.logdir, f"{name}.log"), "w")
        self.logs.append(log)
        self.procs.append(subprocess.Popen(["timeout", str(LIFETIME), *cmd], stdout=log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, env={**os.environ, "TZ": "UTC"}))

    def api(self, path, **query):
        url = f"http://127.0.0.1:{self.prom_port}/api/v1/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        return json.loads(urllib.request.urlopen(url, timeout=5).read())["data"]

    def until(self, what, fn):
        """fn() until it returns something true; its last value, or AssertionError at the deadline"""
        end = time.time() + DEADLINE
        while time.time() < end:
            try:
                v = fn()
                if v:
                    return v
            except OSError:
                pass  # not listening yet
            time.sleep(0.5)
        raise AssertionError(f"no {what} within {DEADLINE} s (logs: {self.logdir})")

    def alerts(self):
        return {(a["labels"]["scenario"], a["labels"]["alertname"], a["labels"].get("fid"), a["labels"].get("pec"),
                 a["state"]) for a in self.api("alerts")["alerts"]}

    def evaluated_after(self, t):
        """every zpcitrace rule group began an evaluation more than one interval after Unix time t"""
        groups = [g for g in self.api("rules")["groups"] if g["name"].startswith("zpcitrace")]
        return groups and all(parse_time(g["lastEvaluation"]) > t + g["interval"] for g in groups)

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for log in self.logs:
            log.close()
        self.hook.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def parse_time(rfc3339):
    """Prometheus' lastEvaluation (RFC 3339 in UTC, as the stack runs with TZ=UTC, nanoseconds) as Unix time"""
    if not rfc3339.endswith("Z"):
        raise AssertionError(f"lastEvaluation {rfc3339} is not in UTC")
    day, _, clock = rfc3339[:-1].partition("T")
    hms, _, frac = clock.partition(".")
    return calendar.timegm(time.strptime(f"{day} {hms}", "%Y-%m-%d %H:%M:%S")) + float(f"0.{frac or 0}")


def scenario_alerts(args, bed, c):
    """the shipped rules on Debian's Prometheus and Alertmanager: the overflow's and no-reader's alerts fire and are
    delivered; one error read at once fires none"""
    runs = {name: bed.boot(args, f"alerts-{name}", vmm, trace="--prom /tmp/out/zpcitrace.prom -i 1",
                           conf=["ZT_HOLD_SNAPSHOT=/tmp/out/zpcitrace.prom"] if "hold" in vmm else [])
            for name, vmm in SESSIONS.items()}
    p = f"{bed.name}/alerts"
    textfiles = {name: os.path.join(r.dir, "zpcitrace.prom") for name, r in runs.items()}
    textfiles["unread"] = os.path.join(runs["noreader"].dir, "held.prom")
    want = {(name, *a) for name, r in runs.items() for a in expected_alerts(r)}
    want |= {("unread", *a) for a in expected_alerts(runs["noreader"], held=True)}
    logdir = os.path.join(args.out, bed.name, "alerts")
    os.makedirs(logdir, exist_ok=True)
    stack = Stack(textfiles, rules_copy(os.path.join(logdir, "zpcitrace.rules.yml")), logdir)
    try:
        def firing():
            scraped = stack.until("scrape of every textfile", lambda: len(stack.api(
                "query", query="zpcitrace_build_info")["result"]) == len(textfiles) and time.time())
            stack.until("rule evaluations on the scraped data", lambda: stack.evaluated_after(scraped))
            got = stack.alerts()
            with open(os.path.join(logdir, "alerts.json"), "w") as f:  # as Prometheus shows them (a case's record)
                json.dump(stack.api("alerts"), f, indent=1)
            eq_sets(got, {(*w, "firing") for w in want}, "alerts (scenario, name, fid, pec, state)")
            if ("overflow", "ZpciErrorsDropped", "0x00000001", "0x0004") not in want:
                raise AssertionError("the overflow run dropped nothing (the guest saw no overflow)")
            if any(w[0] == "clean" for w in want):
                raise AssertionError(f"the clean run left errors unread (the guest's view): {want}")
        c.check(f"{p}: Prometheus fires exactly the alerts the guest's errors call for (Dropped for the overflow; "
                "Unread while the no-reader's errors are queued, Discarded after its close), none for the clean run",
                firing)

        def delivered():
            payload = stack.until("webhook delivery of ZpciErrorsDropped", lambda: next(
                (x for x in stack.hook.payloads if x["groupLabels"].get("alertname") == "ZpciErrorsDropped"), None))
            with open(os.path.join(logdir, "webhook-ZpciErrorsDropped.json"), "w") as f:
                json.dump(payload, f, indent=1)
            (alert,) = payload["alerts"]
            got = (payload["status"], payload["receiver"], alert["status"], alert["labels"]["alertname"],
                   alert["labels"]["scenario"], alert["labels"]["fid"], alert["labels"]["pec"],
                   alert["labels"]["severity"])
            want_payload = ("firing", "hook", "firing", "ZpciErrorsDropped", "overflow", "0x00000001", "0x0004",
                            "critical")
            if got != want_payload:
                raise AssertionError(f"payload {got} != {want_payload}")
            eq_sets({alert["annotations"]["summary"], alert["annotations"]["runbook_url"]},
                    {"zPCI errors dropped: the function's error queue was full.",
                     "https://github.com/zpcitrace/zpcitrace/blob/main/docs/runbook.md#zpcierrorsdropped"},
                    "a fixed summary and the runbook's section")
        c.check(f"{p}: Alertmanager delivers ZpciErrorsDropped to a webhook with its labels and runbook link",
                delivered)
    finally:
        stack.stop()


def eq_sets(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: got {sorted(got)}, expected {sorted(want)}")
