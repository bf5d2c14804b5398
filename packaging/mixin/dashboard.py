#!/usr/bin/env python3
"""The mixin's Grafana dashboard, dashboards_out/zpcitrace.json, from one table: a row per panel (title, kind,
what it tells, its queries). Run it after changing a panel; `dashboard.py --check` (make host-test) fails when the
JSON in the tree is not what the table gives. tests/e2e/alerts.py runs every query of the JSON against Prometheus
fed with the guest's textfiles and checks each result against what the guest did.

Variables: $datasource (a Prometheus), $instance (hosts with zpcitrace), $fid (their zPCI functions).
"""
import json
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboards_out", "zpcitrace.json")
UID = "zpcitrace-overview"

SEL = 'instance=~"$instance", fid=~"$fid"'
HOST = 'instance=~"$instance"'


def born_aware(metric, by="instance, fid", sel=SEL):
    """what METRIC counted in each interval, summed by BY. A (fid, pec) series is born with the first error it
    counts, often above zero, and increase() never sees a series' first sample: the value a series is born
    with is added (min_over_time of a series that was not there one interval ago), as the alerts do with
    "unless ... offset"."""
    x = f"{metric}{{{sel}}}"
    rise = f"sum by ({by}) (increase({x}[$__interval]))"
    born = f"sum by ({by}) (min_over_time({x}[$__interval]) unless {x} offset $__interval)"
    return f"({rise} + {born}) or {rise} or {born}"


# (title, kind, description, [(refId, expr, legend, instant)]); kinds: errors (bars per interval), series
# (lines), table (instant values joined by labels), heatmap
PANELS = [
    ("Errors arrived", "errors",
     "PCI errors the platform reported per function, in each interval (zpcitrace_errors_arrived_total).",
     [("A", born_aware("zpcitrace_errors_arrived_total"), "{{instance}} {{fid}}", False)]),
    ("Errors dropped (queue full)", "errors",
     "Errors the kernel dropped because the function's 4-deep queue was full: the guest never sees them "
     "(ZpciErrorsDropped).",
     [("A", born_aware("zpcitrace_errors_dropped_total"), "{{instance}} {{fid}}", False)]),
    ("Errors discarded at close", "errors",
     "Errors still queued when vfio closed the function, discarded unread (ZpciErrorsDiscarded).",
     [("A", born_aware("zpcitrace_errors_discarded_total"), "{{instance}} {{fid}}", False)]),
    ("Errors lost after dequeue", "errors",
     "Errors dequeued that never reached the VMM (-EFAULT): a VMM bug (ZpciErrorsLost).",
     [("A", born_aware("zpcitrace_errors_lost_total"), "{{instance}} {{fid}}", False)]),
    ("Books since the tracer started", "table",
     "Every error of a function ends in exactly one bucket: arrived = dropped + not stored + dequeued + "
     "discarded + lost + queued. Balanced 1 means the books add up (docs/zpcitrace.8, SUMMARY).",
     [("A", f"sum by (instance, fid) (zpcitrace_errors_arrived_total{{{SEL}}})", "arrived", True),
      ("B", f"sum by (instance, fid) (zpcitrace_errors_dropped_total{{{SEL}}})", "dropped", True),
      ("C", f"sum by (instance, fid) (zpcitrace_errors_not_stored_total{{{SEL}}})", "not stored", True),
      ("D", f"sum by (instance, fid) (zpcitrace_errors_dequeued_total{{{SEL}}})", "dequeued", True),
      ("E", f"sum by (instance, fid) (zpcitrace_errors_discarded_total{{{SEL}}})", "discarded", True),
      ("F", f"sum by (instance, fid) (zpcitrace_errors_lost_total{{{SEL}}})", "lost", True),
      ("G", f"max by (instance, fid) (zpcitrace_queue_pending{{{SEL}}})", "queued", True),
      ("H", f"min by (instance, fid) (zpcitrace_books_balanced{{{SEL}}})", "balanced", True)]),
    ("Errors queued", "series",
     "Errors waiting in the function's queue now (at most 4; at 4 the next error is dropped).",
     [("A", f"max by (instance, fid) (zpcitrace_queue_pending{{{SEL}}})", "{{instance}} {{fid}}", False)]),
    ("Age of the oldest queued error", "series",
     "How long the oldest error still queued has waited; nothing while the queue is empty (ZpciErrorsUnread "
     "at 300 s).",
     [("A", f"max by (instance, fid) (time() - zpcitrace_queue_oldest_pending_timestamp_seconds{{{SEL}}} > 0 "
            f"and zpcitrace_queue_oldest_pending_timestamp_seconds{{{SEL}}} > 0)", "{{instance}} {{fid}}", False)]),
    ("Owner and consumer", "table",
     "The process that opened the function's vfio device (libvirt domain, comm, executable, pid) and what it "
     "does after each notification: drains, reads_some, never_reads (with QEMU's releases: the guest is "
     "stopped), waiting, no_notification (docs/facts.md, Consumers).",
     [("A", f"max by (instance, fid, domain, comm, exe) (zpcitrace_function_owner_info{{{SEL}}})", "owner", True),
      ("B", f"max by (instance, fid) (zpcitrace_function_owner_pid{{{SEL}}})", "pid", True),
      ("C", f"max by (instance, fid, state) (zpcitrace_consumer_state{{{SEL}}} == 1)", "consumer", True)]),
    ("Queue wait distribution", "heatmap",
     "How long errors waited in the queue, enqueue to dequeue, in each interval (all PECs; the histogram has "
     "no function label).",
     [("A", born_aware("zpcitrace_queue_wait_seconds_bucket", "le", HOST), "{{le}}", False)]),
    ("Queue wait by PEC", "series",
     "The 50th, 90th and 99th percentile of the queue wait over 10 minutes, per host and PEC (the recording "
     "rules of prometheus_rules.yaml).",
     [("A", f"instance_pec:zpcitrace_queue_wait_seconds:p50_rate10m{{{HOST}}}", "p50 {{instance}} {{pec}}", False),
      ("B", f"instance_pec:zpcitrace_queue_wait_seconds:p90_rate10m{{{HOST}}}", "p90 {{instance}} {{pec}}", False),
      ("C", f"instance_pec:zpcitrace_queue_wait_seconds:p99_rate10m{{{HOST}}}", "p99 {{instance}} {{pec}}", False)]),
    ("Hooks", "table",
     "How each kernel function is hooked: fentry/fexit, kprobe, or pending (its module not loaded) "
     "(ZpcitraceHookDegraded, ZpcitraceHookFallback).",
     [("A", f"max by (instance, function, mode) (zpcitrace_hook_info{{{HOST}}})", "hook", True)]),
    ("Tracer losses", "series",
     "Events the tracer could not see, since it started: the ring buffer's losses, returns untraced, errors "
     "that left the queue by an untraced dequeue. All 0 on a healthy host.",
     [("A", f"max by (instance) (zpcitrace_ringbuf_lost_events_total{{{HOST}}})", "ring buffer {{instance}}",
       False),
      ("B", f"max by (instance) (zpcitrace_untraced_returns_total{{{HOST}}})", "untraced returns {{instance}}",
       False),
      ("C", f"sum by (instance) (zpcitrace_errors_unseen_total{{{HOST}}})", "unseen {{instance}}", False)]),
    ("Textfile age", "series",
     "Seconds since the exporter last wrote its textfile; it writes every 15 s (ZpcitraceTextfileStale at 300 s).",
     [("A", f'time() - node_textfile_mtime_seconds{{{HOST}, file=~"(.*/)?zpcitrace\\\\.prom"}}', "{{instance}}",
       False)]),
]


def panel(pid, title, kind, description, targets, pos):
    p = {"id": pid, "title": title, "description": description, "gridPos": pos,
         "datasource": {"type": "prometheus", "uid": "${datasource}"},
         "targets": [{"refId": ref, "expr": expr, "legendFormat": legend, "instant": instant, "range": not instant,
                      "datasource": {"type": "prometheus", "uid": "${datasource}"},
                      **({"format": "table"} if kind == "table" else {}),
                      **({"format": "heatmap"} if kind == "heatmap" else {})}
                     for ref, expr, legend, instant in targets]}
    if kind == "errors":
        p.update(type="timeseries", interval="1m",
                 fieldConfig={"defaults": {"unit": "short", "decimals": 0, "min": 0,
                                           "custom": {"drawStyle": "bars", "fillOpacity": 80}}, "overrides": []})
    elif kind == "series":
        p.update(type="timeseries", fieldConfig={"defaults": {"min": 0}, "overrides": []})
    elif kind == "heatmap":
        p.update(type="heatmap", interval="1m", options={"calculate": False, "yAxis": {"unit": "s"}})
    else:
        p.update(type="table", transformations=[{"id": "merge", "options": {}},
                                                {"id": "organize", "options": {"excludeByName": {"Time": True}}}])
    return p


def dashboard():
    panels, x, y = [], 0, 0
    for i, (title, kind, description, targets) in enumerate(PANELS):
        w = 24 if kind == "table" else 12
        if x + w > 24:
            x, y = 0, y + 8
        panels.append(panel(i + 1, title, kind, description, targets, {"x": x, "y": y, "w": w, "h": 8}))
        x += w
    var = {"type": "query", "datasource": {"type": "prometheus", "uid": "${datasource}"}, "refresh": 2,
           "multi": True, "includeAll": True, "allValue": ".*", "current": {"text": "All", "value": "$__all"}}
    return {
        "uid": UID, "title": "zpcitrace: zPCI error queues", "tags": ["zpcitrace", "s390x", "vfio"],
        "description": "The zPCI error queues of passed-through PCI functions on IBM Z hosts, from zpcitrace's "
                       "textfile metrics (docs/prometheus.md)",
        "editable": False, "graphTooltip": 1, "schemaVersion": 39, "version": 1, "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"}, "timezone": "utc",
        "links": [{"title": "Runbook", "type": "link", "targetBlank": True,
                   "url": "https://github.com/zpcitrace/zpcitrace/blob/main/docs/runbook.md"}],
        "templating": {"list": [
            {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
             "current": {}},
            {**var, "name": "instance", "label": "Host",
             "query": {"query": "label_values(zpcitrace_build_info, instance)", "refId": "instance"},
             "definition": "label_values(zpcitrace_build_info, instance)"},
            {**var, "name": "fid", "label": "Function",
             "query": {"query": 'label_values(zpcitrace_function_info{instance=~"$instance"}, fid)', "refId": "fid"},
             "definition": 'label_values(zpcitrace_function_info{instance=~"$instance"}, fid)'}]},
        "panels": panels,
    }


def main():
    text = json.dumps(dashboard(), indent=1) + "\n"
    if sys.argv[1:] == ["--check"]:
        if open(OUT).read() != text:
            sys.exit(f"{OUT} is not what {sys.argv[0]} gives: run it and commit the result")
        return
    with open(OUT, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
