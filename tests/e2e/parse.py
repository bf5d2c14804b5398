"""Parsers of zpcitrace's outputs and of the guest VMM's ground truth, for the e2e checks."""
import json
import os
import re

TS = re.compile(r"^\d\d:\d\d:\d\d\.\d{6} ")


def kv(tokens):
    out = {}
    for t in tokens:
        if "=" in t:
            k, v = t.split("=", 1)
            out[k] = v
    return out


def parse_trace(path):
    """zpcitrace's event lines as dicts: 'event', 'ts' (with -T) and the key=value fields"""
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


def parse_trace_jsonl(path):
    """a -j run's lines: (its events as parse_trace gives them, with the values as written and 'ts' its time;
    the summary object, or None)"""
    events, summary = [], None
    for line in open(path):
        o = json.loads(line)
        if o.get("event") == "summary":
            summary = json.loads(line)
            continue
        # the literal text of each number, as the text run prints it
        e = {k: str(v) for k, v in json.loads(line, parse_int=str, parse_float=str).items()}
        e["ts"] = e.pop("time", None)
        e.pop("ts_ns", None)
        if "pec" in e:
            e["pec"] = e["pec"].split("/")[0]
        events.append(e)
    return events, summary


# the books table's columns (text) by their -j keys
BOOKS_COLUMNS = {"ARRIVED": "arrived", "ATSTART": "queued_before_start", "DROPPED": "dropped",
                 "NOTSTORED": "not_stored", "UNKNOWN": "unknown", "NOTQUEUED": "not_queued", "DEQUEUED": "dequeued",
                 "LOST": "lost", "DISCARDED": "discarded", "PENDING": "pending", "UNSEEN": "unseen"}


def books_of_text(books):
    """the text summary's books table in the -j summary's form: {fid: {key: int, 'balanced': bool}}"""
    out = {}
    for fid, row in books.items():
        b = {key: int(row[col]) for col, key in BOOKS_COLUMNS.items()}
        b["balanced"] = row["BALANCED"] == "yes"
        out[fid] = b
    return out


def parse_gt(path):
    """the guest VMM's ground truth: ('what', {fields}) per GT line"""
    out = []
    for line in open(path):
        if line.startswith("GT "):
            words = line.split()
            out.append((words[1], kv(words[2:])))
    return out


def gt_notified(gt):
    """error notifications the VMM received (eventfd counts), from parse_gt's list"""
    return sum(int(f["eventfd"]) for w, f in gt if w == "error")


def gt_reads(gt):
    """the GETs that returned an error (v12 answers an empty queue with rc 0 and pec 0)"""
    return [f for w, f in gt if w == "get" and f["rc"] == "0" and int(f["pec"], 16) != 0]


def fact_keys():
    """{text label: JSON key} of every fact, from docs/facts.md (generated from the C tables, checked by test_facts)"""
    page = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "facts.md")
    rows = re.findall(r"^\| `([a-z0-9_]+)` \| ([^|]+?) \|", open(page).read(), re.M)
    return {label: key for key, label in rows}


def parse_summary(text):
    """the exit summary of a run's stderr: ({counter's JSON key: N}, {func: (mode, module)}, {fid: {COLUMN: value}} of
    the functions and of the books tables, {(latency table, key): {COUNT, P50, ...}}); the counters by the keys of
    -j, so that a check reads a text run and a -j run alike"""
    keys = fact_keys()
    # "  <counter name>  N" and "  hook FUNC ROLE MODE [module]" lines, the tables
    parts = text.split("zpcitrace: summary\n", 1)
    summary = {}
    hooks = {}
    functions = {}  # fid -> {COLUMN: value} from the summary's function table
    books = {}      # fid -> {COLUMN: value} from the summary's books table
    latency = {}    # (table title, key) -> {COUNT, P50, ...}
    if len(parts) == 2:
        header, title, table = None, None, None
        for line in parts[1].splitlines():
            if line.startswith("books ("):
                table = books
            if line.startswith("  FID ") and "ARRIVED" in line:
                header = line.split()
                table = books if table is books else functions
                continue
            if header and re.match(r"^  0x[0-9a-f]{8} ", line) and len(line.split()) == len(header):
                table[line.split()[0]] = dict(zip(header, line.split()))
                continue
            m = re.match(r"^(\S.*) \(usecs\):$", line)
            if m:
                title, header = m.group(1), None
                continue
            m = re.match(r"^  (\S+) +(\d+) +([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+)$", line)
            if title and m:
                latency[(title, m.group(1))] = dict(zip(["COUNT", "P50", "P90", "P99", "MAX"],
                                                        [float(x) for x in m.groups()[1:]]))
                continue
            m = re.match(r"^  hook (\S+) +\S+ +(\S+)( \[(\S+)\])?$", line)
            if m:
                hooks[m.group(1)] = (m.group(2), m.group(4))
                continue
            m = re.match(r"^  (.+?) +(\d+)$", line)
            if m:
                summary[keys.get(m.group(1), m.group(1))] = int(m.group(2))
    return summary, hooks, functions, books, latency


def prom_samples(text):
    """{'name{labels}': value} of a Prometheus text exposition"""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def parse_trace_json(path):
    """the capture's event lines, with their UTC time"""
    out = []
    for line in open(path).read().splitlines()[1:]:
        o = json.loads(line)
        if "event" in o:
            out.append({"event": o["event"], "ts": o["time"]})
    return out
