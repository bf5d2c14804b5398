"""The shipped alert rules on a real monitoring stack, on this host's loopback: Debian's prometheus-node-exporter
serves the textfiles the guest's exporter wrote, Debian's prometheus scrapes them every second and evaluates
packaging/mixin/prometheus_alerts.yaml and prometheus_rules.yaml, Debian's prometheus-alertmanager routes what fires to a webhook
receiver here. Every process is started with a hard lifetime (timeout) and stopped when the checks end.

e2e.py runs it as the scenario "alerts" of the bed debian-7.3: three guest runs (an overflow, errors nobody
reads then a close, one error read back at once) and four textfile series (each run's, and the no-reader run's up
to its hold, its errors queued), one node_exporter each, labelled scenario=NAME. Each series is every content the
guest's exporter wrote, in order (ZT_PROM_HISTORY), served until Prometheus has scraped it twice: Prometheus sees
the counters as it would have on the guest, each (fid, pec) series born with its first error.

The mixin's dashboard (packaging/mixin/dashboards_out/zpcitrace.json): every query of every panel runs against
that Prometheus and its result is checked against what the guest did (dashboard_checks). Prometheus loads a copy of the rules
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

from parse import prom_samples

HERE = os.path.dirname(os.path.abspath(__file__))
MIXIN = os.path.join(HERE, "..", "..", "packaging", "mixin")
RULES = os.path.join(MIXIN, "prometheus_alerts.yaml")
RECORDING = os.path.join(MIXIN, "prometheus_rules.yaml")
DASHBOARD = os.path.join(MIXIN, "dashboards_out", "zpcitrace.json")
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

    def __init__(self, series, rules, logdir):
        self.dir = tempfile.mkdtemp(prefix="zt-alerts-")
        self.logdir, self.procs, self.logs = logdir, [], []
        self.series, self.instances = series, {}  # scenario: [textfile, ...]; instance: scenario
        self.hook = Webhook()
        try:
            self.launch(rules)
        except BaseException:
            self.stop()  # what already runs goes, whatever failed to start
            raise

    def textfile(self, name):
        return os.path.join(self.dir, f"textfile-{name}", "zpcitrace.prom")

    def serve(self, name, path):
        """node_exporter's textfile becomes PATH's content at once (a rename, as zpcitrace writes it)"""
        tmp = self.textfile(name) + ".tmp"
        shutil.copyfile(path, tmp)
        os.replace(tmp, self.textfile(name))

    def replay(self):
        """each series' textfiles in order, each until Prometheus has scraped it twice; the last stays"""
        for k in range(max(len(s) for s in self.series.values())):
            before = self.scrapes()
            for name, s in self.series.items():
                if k < len(s):
                    self.serve(name, s[k])
            self.until(f"two scrapes of textfile {k}", lambda: all(
                self.scrapes().get(name, 0) >= before.get(name, 0) + 2 for name in self.series))

    def scrapes(self):
        """{scenario: scrapes in the last 10 minutes}"""
        return {r["metric"]["scenario"]: int(r["value"][1]) for r in self.api(
            "query", query='count_over_time(up{job="node"}[10m])')["result"]}

    def launch(self, rules):
        self.am_port, self.prom_port = free_port(), free_port()
        targets = []
        for name, s in self.series.items():
            d = os.path.dirname(self.textfile(name))
            os.makedirs(d)
            self.serve(name, s[0])
            port = free_port()
            self.instances[f"127.0.0.1:{port}"] = name
            self.start(f"node-exporter-{name}", "prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{port}",
                       "--collector.disable-defaults", "--collector.textfile", f"--collector.textfile.directory={d}")
            targets.append({"targets": [f"127.0.0.1:{port}"], "labels": {"scenario": name}})
        am_conf = {"route": {"receiver": "hook", "group_by": ["alertname", "scenario"], "group_wait": "1s",
                             "group_interval": "1s", "repeat_interval": "1h"},
                   "receivers": [{"name": "hook", "webhook_configs": [
                       {"url": f"http://127.0.0.1:{self.hook.port}/", "send_resolved": False}]}]}
        prom_conf = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                     "rule_files": [os.path.abspath(rules), os.path.abspath(RECORDING)],
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


def history(r, upto=None):
    """the textfiles a run's exporter wrote, in order (ZT_PROM_HISTORY), its last one at the end; upto: only those
    before the function was closed, then UPTO (the no-reader run's held textfile)"""
    d = os.path.join(r.dir, "history")
    files = sorted(os.path.join(d, f) for f in os.listdir(d)) if os.path.isdir(d) else []
    if upto:
        files = [f for f in files if not any(k.startswith("zpcitrace_closes_total") and v
                                             for k, v in prom_samples(open(f).read()).items())] + [upto]
    else:
        files.append(os.path.join(r.dir, "zpcitrace.prom"))
    if len(files) < 2:
        raise AssertionError(f"{r.dir}: no textfile history (the guest's exporter wrote {len(files)} versions)")
    return files


def scenario_alerts(args, bed, c):
    """the shipped rules on Debian's Prometheus and Alertmanager: the overflow's and no-reader's alerts fire and are
    delivered; one error read at once fires none. The dashboard's every query, checked against the guest"""
    runs = {name: bed.boot(args, f"alerts-{name}", vmm, trace="--prom /tmp/out/zpcitrace.prom -i 1",
                           conf=["ZT_PROM_HISTORY=/tmp/out/zpcitrace.prom"] +
                           (["ZT_HOLD_SNAPSHOT=/tmp/out/zpcitrace.prom"] if "hold" in vmm else []))
            for name, vmm in SESSIONS.items()}
    p = f"{bed.name}/alerts"
    series = {name: history(r) for name, r in runs.items()}
    series["unread"] = history(runs["noreader"], upto=os.path.join(runs["noreader"].dir, "held.prom"))
    want = {(name, *a) for name, r in runs.items() for a in expected_alerts(r)}
    want |= {("unread", *a) for a in expected_alerts(runs["noreader"], held=True)}
    logdir = os.path.join(args.out, bed.name, "alerts")
    os.makedirs(logdir, exist_ok=True)
    stack = Stack(series, rules_copy(os.path.join(logdir, "zpcitrace.rules.yml")), logdir)
    try:
        def firing():
            stack.until("scrape of every textfile", lambda: len(stack.scrapes()) == len(series))
            stack.replay()
            scraped = time.time()
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

        c.check(f"{p}: every query of every dashboard panel returns what the guest did, per scenario (the error "
                "counts per interval and the books, queued errors and their age, owner and consumer, queue waits, "
                "hooks, losses, textfile age)", lambda: dashboard_checks(stack, runs, logdir))

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
        raise AssertionError(f"{what}: got {sorted(got, key=repr)}, expected {sorted(want, key=repr)}")


# ---- the dashboard ---------------------------------------------------------------------------------------

FID = "0x00000001"
WINDOW = "10m"  # $__interval in the checks: one interval covers the whole replay, so a panel's bar is the total


def truth(r, held):
    """{books column: errors} of the bed's function from what the guest observed: N errors notified, all before
    its reads; the queue holds 4 (the rest dropped); at the close what was not read is discarded; held: the
    no-reader run's textfile while its errors were queued"""
    n, reads = r.notified(), len(r.reads())
    stored = min(n, 4)
    return {"arrived": n, "dropped": n - stored, "not stored": 0, "dequeued": reads, "lost": 0,
            "discarded": 0 if held else stored - reads, "queued": stored - reads if held else 0, "balanced": 1}


def panel_query(stack, expr, at):
    """a panel's query as Grafana sends it (all hosts and functions, $__interval = WINDOW) at Unix time AT:
    {(scenario, other labels...): value}"""
    q = expr.replace("$instance", ".*").replace("$fid", ".*").replace("$__interval", WINDOW)
    out = {}
    for s in stack.api("query", query=q, time=f"{at:.3f}")["result"]:
        labels = dict(s["metric"])
        scenario = stack.instances[labels.pop("instance")] if "instance" in labels else None
        out[(scenario, *sorted(labels.items()))] = float(s["value"][1])
    return out


def dashboard_checks(stack, runs, logdir):
    dash = json.load(open(DASHBOARD))
    guest = {name: (r, False) for name, r in runs.items()}
    guest["unread"] = (runs["noreader"], True)
    books = {name: truth(r, held) for name, (r, held) in guest.items()}
    at = time.time()
    results, failed = {}, []
    for panel in dash["panels"]:
        for target in panel["targets"]:
            got = panel_query(stack, target["expr"], at)
            results[f'{panel["title"]} / {target["legendFormat"]}'] = {repr(k): v for k, v in got.items()}
            try:
                PANEL_CHECKS[panel["title"]](target, got, books, guest, stack, at)
            except AssertionError as e:
                failed.append(f'{panel["title"]} ({target["refId"]}): {e}')
    with open(os.path.join(logdir, "dashboard-results.json"), "w") as f:  # what each panel showed
        json.dump(results, f, indent=1)
    if failed:
        raise AssertionError("; ".join(failed))


def per_scenario(got, label=None):
    """{scenario: value} of the bed's function (label: the key of another label to keep)"""
    out = {}
    for key, v in got.items():
        labels = dict(key[1:])
        if labels.get("fid", FID) == FID:
            out[(key[0], labels.get(label)) if label else key[0]] = v
    return out


def counted(column):
    """errors per interval: one interval (WINDOW) covers the replay, so the bar is the total: at least what the
    guest did and under 10 % more (increase() extrapolates to the window's edges); nothing or 0 for none"""
    def check(target, got, books, guest, stack, at):
        values = per_scenario(got)
        for name, b in books.items():
            want, v = b[column], values.get(name)
            if want and not (v is not None and want <= v + 1e-9 and v < want * 1.1):
                raise AssertionError(f"{name}: {v} for {want} {column}")
            if not want and v not in (None, 0.0):
                raise AssertionError(f"{name}: {v} for none {column}")
    return check


BOOKS_COLUMNS = {"arrived": "arrived", "dropped": "dropped", "not stored": "not stored", "dequeued": "dequeued",
                 "discarded": "discarded", "lost": "lost", "queued": "queued", "balanced": "balanced"}


def books_table(target, got, books, guest, stack, at):
    column = BOOKS_COLUMNS[target["legendFormat"]]
    values = per_scenario(got)
    eq_sets({(n, values.get(n)) for n in books}, {(n, float(b[column])) for n, b in books.items()}, column)


def queued(target, got, books, guest, stack, at):
    values = per_scenario(got)
    eq_sets({(n, values.get(n)) for n in books}, {(n, float(b["queued"])) for n, b in books.items()}, "queued")


def oldest_age(target, got, books, guest, stack, at):
    """an age for the functions with errors queued, nothing for the others; the oldest error was stored before
    the textfile that holds it was written"""
    values = per_scenario(got)
    for name, b in books.items():
        v = values.get(name)
        if b["queued"] and not (v and v > 0):
            raise AssertionError(f"{name}: no age for {b['queued']} errors queued")
        if not b["queued"] and v is not None:
            raise AssertionError(f"{name}: an age ({v}) with nothing queued")


def owner(target, got, books, guest, stack, at):
    if target["legendFormat"] == "owner":
        values = per_scenario(got, "comm")
        eq_sets(set(values), {(n, "zpci_vmm") for n in books}, "owners (scenario, comm)")
        # /proc/PID/exe when the loader saw the open; a VMM gone by then leaves it empty (Prometheus: no label)
        exes = {dict(k[1:]).get("exe") for k in got}
        if not exes <= {"/zpci_vmm", None}:
            raise AssertionError(f"executables {sorted(exes, key=repr)}")
    elif target["legendFormat"] == "pid":
        values = per_scenario(got)
        eq_sets({(n, values.get(n)) for n in books},
                {(n, float(r.gt_of("open")[0]["pid"])) for n, (r, _) in guest.items()}, "owner pid (the VMM's)")
    else:
        states = per_scenario(got, "state")
        for name, (r, held) in guest.items():
            mine = {s for (n, s) in states if n == name}
            # judged once a notification is 5 s old: until then "waiting"
            allowed = {"never_reads", "waiting"} if not r.reads() else {"drains", "waiting"}
            if held:
                allowed = {"never_reads"}  # 6 s after its last error (SESSIONS)
            if len(mine) != 1 or not mine <= allowed:
                raise AssertionError(f"{name}: consumer {sorted(mine)}, expected one of {sorted(allowed)}")


def wait_heatmap(target, got, books, guest, stack, at):
    """the +Inf bucket counts every wait of every host: the errors the guests read"""
    v, want = got.get((None, ("le", "+Inf"))), sum(b["dequeued"] for b in books.values())
    if not want or v is None or not want <= v + 1e-9 < want * 1.1:
        raise AssertionError(f"{v} waits in the +Inf bucket for {want} errors read")


def wait_quantiles(target, got, books, guest, stack, at):
    """a quantile per host that read errors, of their PEC (0x0004), none for the others"""
    have = {(k[0], dict(k[1:]).get("pec")) for k, v in got.items() if v == v and v > 0}  # not NaN
    eq_sets(have, {(n, "0x0004") for n, b in books.items() if b["dequeued"]}, f"{target['refId']} (scenario, pec)")


def hooks(target, got, books, guest, stack, at):
    """the guest's hooks, as its textfile lists them; kprobes all (the bed's kernel has no BPF JIT)"""
    for name, (r, held) in guest.items():
        path = stack.series[name][-1]
        want = {(name, k.split('function="')[1].split('"')[0], k.split('mode="')[1].split('"')[0])
                for k in prom_samples(open(path).read()) if k.startswith("zpcitrace_hook_info{")}
        mine = {(n, dict(k).get("function"), dict(k).get("mode")) for (n, *k) in got if n == name}
        eq_sets(mine, want, f"{name}: hooks")
        if not want or {m for _, _, m in want} != {"kprobe"}:
            raise AssertionError(f"{name}: hook modes {sorted(want)}, expected kprobes")


def losses(target, got, books, guest, stack, at):
    eq_sets({(k[0], v) for k, v in got.items()}, {(n, 0.0) for n in books}, f"{target['legendFormat']}")


def textfile_age(target, got, books, guest, stack, at):
    """time() at the query's time less the textfile's modification time, as node_exporter reads it"""
    for name in books:
        want = at - os.stat(stack.textfile(name)).st_mtime
        v = next((v for k, v in got.items() if k[0] == name), None)
        if v is None or abs(v - want) > 1:
            raise AssertionError(f"{name}: {v} s, the file's age {want:.1f} s")


PANEL_CHECKS = {
    "Errors arrived": counted("arrived"),
    "Errors dropped (queue full)": counted("dropped"),
    "Errors discarded at close": counted("discarded"),
    "Errors lost after dequeue": counted("lost"),
    "Books since the tracer started": books_table,
    "Errors queued": queued,
    "Age of the oldest queued error": oldest_age,
    "Owner and consumer": owner,
    "Queue wait distribution": wait_heatmap,
    "Queue wait by PEC": wait_quantiles,
    "Hooks": hooks,
    "Tracer losses": losses,
    "Textfile age": textfile_age,
}
