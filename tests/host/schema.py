#!/usr/bin/python3
"""schema.py FILE...: every JSON object in each FILE (JSON Lines, or one document) valid against
docs/zpcitrace.schema.json, no key anywhere holding a space, and the counters, run figures, losses and books
exactly the rows of docs/facts.md. Run with Debian's /usr/bin/python3 (python3-jsonschema). Prints
"N objects valid" or the first fault per file; exit status 1 on any fault."""
import json
import os
import re
import sys

import jsonschema

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs")


def facts_keys(section):
    page = open(os.path.join(DOCS, "facts.md")).read()
    part = page.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z0-9_]+)` \|", part, re.M)


def keys_with_space(v, path="$"):
    if isinstance(v, dict):
        for k, x in v.items():
            if " " in k:
                return f"{path}: key {k!r}"
            found = keys_with_space(x, f"{path}.{k}")
            if found:
                return found
    elif isinstance(v, list):
        for i, x in enumerate(v):
            found = keys_with_space(x, f"{path}[{i}]")
            if found:
                return found
    return None


def facts_fault(o):
    """the summary's counters are the facts' rows, no more, no fewer"""
    if o.get("event") != "summary":
        return None
    counters = facts_keys("Counters")
    want = counters + facts_keys("Run figures") + facts_keys("Losses")
    if list(o["counters"]) != want:
        return f"counters {list(o['counters'])} are not facts.md's {want}"
    books = facts_keys("Books") + ["balanced"]
    for f in o["functions"]:
        if list(f["counters"]) != counters:
            return f"function {f['fid']}: counters {list(f['counters'])} are not facts.md's {counters}"
        if list(f["books"]) != books:
            return f"function {f['fid']}: books {list(f['books'])} are not facts.md's {books}"
    return None


def main():
    schema = json.load(open(os.path.join(DOCS, "zpcitrace.schema.json")))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in sys.argv[1:]:
        text = open(path).read()
        try:
            objs = [json.loads(text)]
        except json.JSONDecodeError:
            objs = [json.loads(line) for line in text.splitlines() if line.strip()]
        fault = None
        for n, o in enumerate(objs, 1):
            err = jsonschema.exceptions.best_match(validator.iter_errors(o))
            fault = (f"object {n}: {err.message} at {err.json_path}" if err else None) or \
                (f"object {n}: {keys_with_space(o)}" if keys_with_space(o) else None) or \
                (f"object {n}: {facts_fault(o)}" if facts_fault(o) else None)
            if fault:
                break
        if fault:
            print(f"{path}: {fault}")
            bad += 1
        else:
            print(f"{path}: {len(objs)} objects valid")
    return 1 if bad or not sys.argv[1:] else 0


if __name__ == "__main__":
    sys.exit(main())
