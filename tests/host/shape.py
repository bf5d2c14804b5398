#!/usr/bin/env python3
"""shape.py: the loader's shape (issue 15), checked: no function in user/ over 70 lines and main at most 60; the
correlator does not include the formatter, the attacher includes no sink, nothing but the live view includes the
formatter. Ends with "N passed, N failed"."""
import glob
import os
import re
import sys

USER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "user")
SINKS = {"format.h", "summary.h", "prom.h", "capture.h", "sink.h", "status.h", "perfetto.h", "flight.h"}
passed = failed = 0


def check(name, problems):
    global passed, failed
    if problems:
        failed += 1
        print(f"FAIL {name}: {'; '.join(problems)}")
    else:
        passed += 1
        print(f"ok   {name}")


def functions(path):
    """(name, first line, length) of every function defined at the left margin"""
    lines = open(path).read().split("\n")
    i = 0
    while i < len(lines) - 1:
        m = re.match(r"^[a-z].*?\b(\w+)\(.*\)\s*$", lines[i])
        if m and lines[i + 1] == "{":
            j = i + 1
            while j < len(lines) and lines[j] != "}":
                j += 1
            yield m.group(1), i + 1, j - i + 1
            i = j
        i += 1


def includes(path):
    return set(re.findall(r'^#include "([^"]+)"', open(path).read(), re.M))


sources = sorted(glob.glob(os.path.join(USER, "*.c")))
long_ones = [f"{os.path.basename(p)}:{at} {name} ({n} lines)" for p in sources for name, at, n in functions(p)
             if n > (60 if name == "main" else 70)]
check("no function in user/ is over 70 lines, main at most 60", long_ones)
check("correlate.c does not include the formatter", ["format.h"] if "format.h" in includes(os.path.join(USER, "correlate.c")) else [])
check("attach.c includes no sink", sorted(includes(os.path.join(USER, "attach.c")) & SINKS))
users = [os.path.basename(p) for p in sources if "format.h" in includes(p)]
check("nothing but the formatter and its users, the live view and report --events, includes format.h",
      sorted(set(users) - {"format.c", "sink_live.c", "report.c"}))
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
