#!/usr/bin/env python3
"""mkcapture.py OUT KIND [BYTES]: a 2.2 capture for the CLI tests, in the writer's format (docs/capture.md).
KIND: overflow (4 stored, 1 dropped, 2 read, 2 discarded at close, fid 10), outoforder (the same with the
dequeues timed before the stores), noreader (2 stored, discarded at close), longline (a line of BYTES, default 50 MB)."""
import os
import re
import sys

# the record's fields in the capture's order: the writer's own table (REC_FIELD_LIST in user/capture.c), so the
# two cannot disagree
_SRC = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "user", "capture.c")).read()
FIELDS = re.findall(r"F\((\w+), (?:true|false)\)", _SRC.split("#define REC_FIELD_LIST(F)", 1)[1].split("\n\n", 1)[0])
assert FIELDS[:2] == ["type", "ts_ns"] and len(FIELDS) >= 30, f"REC_FIELD_LIST not found in user/capture.c: {FIELDS}"
KINDS = {"arrival": 1, "enqueue": 2, "notify": 3, "dequeue": 4, "open": 5, "close": 6}
FID = 10
S = 1000000000


def line(kind, ts, **kw):
    rec = dict.fromkeys(FIELDS, 0)
    rec.update(type=KINDS[kind], ts_ns=ts, pid=7, tid=7, fid=FID, fh=0x8002000a, has_fn=1, q_valid=1, q_mr=1)
    rec.update(kw)
    vals = [str(rec[f]) for f in FIELDS]
    vals.insert(5, '"zpci_vmm"')
    ccdf = ""
    if rec["has_ccdf"]:
        ccdf = ',"ccdf":"00000000%08x%08x00000000%016x0000000000000004"' % (rec["fh"], FID, ts)
    return '{"event":"%s","time":"00:00:00.000000","fid":"0x%08x","rec":[%s]%s}' % (kind, FID, ",".join(vals), ccdf)


def overflow(late_reads):
    out, head, tail, count = [], 0, 0, 0
    out.append(line("open", 1 * S, q_count=0))
    for i in range(5):
        t = (10 + i) * S
        out.append(line("arrival", t, has_ccdf=1, q_count=count, q_head=head, q_tail=tail))
        if count < 4:
            slot, tail, count = tail % 4, tail + 1, count + 1
            out.append(line("enqueue", t + 1, has_ccdf=1, result=1, slot=slot, has_slot=1, q_count=count, q_head=head,
                            q_tail=tail))
        else:
            out.append(line("enqueue", t + 1, has_ccdf=1, result=2, q_count=count, q_head=head, q_tail=tail))
    for i in range(2):
        t = (5 + i) * S if late_reads else (20 + i) * S
        slot, head, count = head % 4, head + 1, count - 1
        out.append(line("dequeue", t, has_ccdf=1, flags=0x1000d, get_ret=0, slot=slot, has_slot=1, q_count=count,
                        q_head=head, q_tail=tail))
    out.append(line("close", 30 * S, discarded=count, q_mr=0, q_count=0, q_head=head, q_tail=tail))
    return out, 30 * S


def noreader():
    out = [line("open", 1 * S, q_count=0)]
    for i in range(2):
        t = (10 + i) * S
        out.append(line("arrival", t, has_ccdf=1, q_count=i, q_tail=i))
        out.append(line("enqueue", t + 1, has_ccdf=1, result=1, slot=i, has_slot=1, q_count=i + 1, q_tail=i + 1))
    out.append(line("close", 30 * S, discarded=2, q_mr=0, q_count=0, q_tail=2))
    return out, 30 * S


def main():
    path, kind = sys.argv[1], sys.argv[2]
    header = ('{"format":"zpcitrace-capture","version":"2.2","zpcitrace":"test","hostname":"h","kernel":"7.3",'
              '"machine":"s390x","clock":"CLOCK_MONOTONIC","realtime_offset_ns":0,"btf":"x","hooks":{},'
              '"hook_modules":{},"enqueue_derived":false,"flight_recorder":0}')
    if kind == "longline":
        events, end = overflow(False)
        size = int(sys.argv[3]) if len(sys.argv) > 3 else 50 * 1024 * 1024
        events.insert(3, '{"event":"arrival","rec":[' + "1," * max(0, (size - 30) // 2) + '1]}')
    elif kind == "noreader":
        events, end = noreader()
    else:
        events, end = overflow(kind == "outoforder")
    trailer = ('{"trailer":true,"reason":"exit","events":%d,"unwritten":0,"ended_ns":%d,"ringbuf_lost":0,'
               '"flight_recorder_overwritten":0,"hooks":{},"functions":[],"functions_omitted":0}' % (len(events), end))
    with open(path, "w") as f:
        f.write("\n".join([header] + events + [trailer]) + "\n")


main()
