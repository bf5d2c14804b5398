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


LOGFMT = re.compile(r'([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)')


def logfmt(text):
    """key=value fields as zpcitrace writes them: a value with a space, '=' or '"' (or empty) in double quotes,
    '"' and '\\' escaped within"""
    out = {}
    for k, v in LOGFMT.findall(text):
        out[k] = re.sub(r'\\(.)', r'\1', v[1:-1]) if v.startswith('"') else v
    return out


def parse_trace(path):
    """zpcitrace's event lines as dicts: 'event', 'ts' (with -T) and the key=value fields"""
    events = []
    for line in open(path):
        line = line.rstrip("\n")
        ts = None
        if TS.match(line):
            ts, line = line[:15], line[16:]
        words = line.split(None, 1)
        if not words:
            continue
        e = logfmt(words[1] if len(words) > 1 else "")
        e["event"], e["ts"] = words[0], ts
        if "pec" in e:
            e["pec"] = e["pec"].split("/")[0]
        events.append(e)
    return events


def text_form(line):
    """a -j event line as parse_trace gives the text line: the values as the text writes them (rc by its errno's
    name, pec without its name, numbers as written) and 'ts' its time of day"""
    o = json.loads(line, parse_int=str, parse_float=str)
    e = {k: str(v) for k, v in o.items() if not k.endswith("_name")}
    if "rc" in o and int(o["rc"]) < 0 and "rc_name" in o:
        e["rc"] = "-" + o["rc_name"]
    e["ts"] = o["time"][11:26] if "time" in o else None  # RFC 3339: its HH:MM:SS.uuuuuu
    e.pop("time", None)
    e.pop("ts_ns", None)
    return e


def parse_trace_jsonl(path):
    """a -j run's lines: (its events as parse_trace gives them, with the values as written and 'ts' its time;
    the summary object, or None). The start object (the run's facts) is not an event"""
    events, summary = [], None
    for line in open(path):
        o = json.loads(line)
        if o.get("event") == "summary":
            summary = o
            continue
        if o.get("event") == "start":
            continue
        events.append(text_form(line))
    return events, summary


def books_of_text(books):
    """the text summary's books table in the -j summary's form: {fid: {key: int, 'balanced': bool}}"""
    out = {}
    for fid, row in books.items():
        b = {key: int(row[col]) for col, key in facts("Books").items()}
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


def facts(section=None):
    """{text label: JSON key} of every fact (or of one section's: "Books" gives the books table's columns), from
    docs/facts.md: generated from the C tables, and checked against them by test_facts"""
    page = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "facts.md")).read()
    if section:
        page = page.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return {label: key for key, label in re.findall(r"^\| `([a-z0-9_]+)` \| ([^|]+?) \|", page, re.M)}


def parse_summary(text):
    """the exit summary of a run's stderr: ({counter's JSON key: N}, {func: (mode, module)}, {fid: {COLUMN: value}} of
    the functions and of the books tables, {(latency table, key): {COUNT, P50, ...}}); the counters by the keys of
    -j, so that a check reads a text run and a -j run alike"""
    keys = facts()
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
