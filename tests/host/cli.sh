#!/bin/bash
# cli.sh ZPCITRACE [S390X_ZPCITRACE] - command-line behaviour that needs no zPCI kernel: help, version, bad
# input, and the clear refusal on a kernel without zPCI (this x86 host). The static s390x build, when given,
# runs the same refusal under qemu-s390x-static. Ends with "N passed, N failed".
set -u
bin=$1
s390x_bin=${2:-}
abs_bin=$(readlink -f "$bin")
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # NAME COMMAND...: COMMAND must succeed
	local name=$1; shift
	if "$@"; then pass=$((pass + 1)); echo "ok   $name"; else fail=$((fail + 1)); echo "FAIL $name"; fi
}
run() { # run ZPCITRACE ARGS...: sets rc, out, err
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}
lines() { printf '%s' "$1" | grep -c ''; }

run "$bin" --help
check "--help exits 0 and shows examples" test "$rc" = 0 -a -n "$(grep -e EXAMPLES -e '--timestamp' "$tmp/out")"

for cmd in "" record report status; do
	run "$bin" $cmd -h
	check "${cmd:-live} -h: exit 0 and the help (as --help; libbpf-tools and bpftool take -h)" \
		test "$rc" = 0 -a -n "$(grep -e '^Usage: zpcitrace' "$tmp/out")" -a "$out" = "$("$bin" $cmd --help)"
done

run "$bin" --version
check "--version names zpcitrace" test "$rc" = 0 -a -n "$(grep '^zpcitrace ' "$tmp/out")"
libs='libbpf [0-9][0-9.]*, libelf 0\.[0-9]+, zlib [0-9][0-9.]*, zstd [0-9][0-9.]*$'
check "--version lists the libraries it runs with; libbpf's is the one pkg-config names" \
	test -n "$(grep -E "^libraries: $libs" "$tmp/out")" \
	-a -n "$(grep -F "libbpf $(pkg-config --modversion libbpf | cut -d. -f1,2)," "$tmp/out")"
if [ -n "$s390x_bin" ]; then
	run qemu-s390x-static "$s390x_bin" --version
	check "the static s390x build's --version lists the libraries built in (security teams track embedded copies)" \
		test "$rc" = 0 -a -n "$(grep -E "^built in: $libs" "$tmp/out")"
fi

run "$bin" --no-such-flag
check "a bad flag exits 64 (usage), names the flag, prints nothing on stdout" \
	test "$rc" = 64 -a -z "$out" -a -n "$(grep -e "no-such-flag" "$tmp/err")"

run "$bin" surplus
check "a surplus argument exits 64 (usage)" test "$rc" = 64 -a -z "$out"

run "$bin" --fid 0x1x
check "--fid with a bad number exits 64 and says why" test "$rc" = 64 -a -n "$(grep -e "--fid: '0x1x'" "$tmp/err")"

run "$bin" --fid 0x100000000
check "--fid beyond 32 bits exits 64" test "$rc" = 64

run "$bin" --no-hook vfs_read
check "--no-hook of a function zpcitrace does not hook exits 64" \
	test "$rc" = 64 -a -n "$(grep -e "does not hook 'vfs_read'" "$tmp/err")"

run "$bin" --no-hook zpci_event_error
check "--no-hook zpci_event_error is refused" test "$rc" = 64

# report: bad captures get one clear line and exit 2
printf '{"format":"zpcitrace-capture","version":"1.0","realtime_offset_ns":0}\n' > "$tmp/ok.jsonl"
printf '{"format":"zpcitrace-capture","version":"9.1"}\n' > "$tmp/future.jsonl"
printf '{"format":"zpcitrace-capture","version":"1.0"}\n{"event":"arrival",\n' > "$tmp/corrupt.jsonl"
head -c 3000 /dev/urandom > "$tmp/binary.jsonl"
: > "$tmp/empty.jsonl"
for f in /etc/passwd "$tmp/future.jsonl" "$tmp/binary.jsonl" "$tmp/empty.jsonl" "$tmp/missing.jsonl"; do
	run "$bin" report "$f"
	check "report $(basename "$f"): exit 2, one line on stderr, nothing on stdout" \
		test "$rc" = 2 -a -z "$out" -a "$(lines "$err")" = 1
done
run "$bin" report "$tmp/corrupt.jsonl"
check "report of a capture whose second line is damaged: exit 3 (damaged), the summary, one line on stderr" \
	test "$rc" = 3 -a -n "$(grep -e '^zpcitrace: summary' "$tmp/out")" -a "$(lines "$err")" = 1
run "$bin" report "$tmp/ok.jsonl"
check "report of a capture cut after its header: exit 3 (damaged), a summary, one line says it was cut" \
	test "$rc" = 3 -a -n "$(grep -e '^zpcitrace: summary' "$tmp/out")" -a "$(lines "$err")" = 1 \
	-a -n "$(grep -e 'cut short' "$tmp/err")"
run "$bin" report --since yesterday "$tmp/ok.jsonl"
check "report --since with a bad time exits 64" test "$rc" = 64
run "$bin" report
check "report without a file exits 64, in one line" test "$rc" = 64 -a "$(lines "$err")" = 1
run "$bin" record
check "record without -w exits 64" test "$rc" = 64
run "$bin" --flight-recorder 5
check "--flight-recorder without record exits 64" test "$rc" = 64
run "$bin" status -T
check "status with a live-view flag exits 64 and points to status --help" \
	test "$rc" = 64 -a -z "$out" -a -n "$(grep -e "unknown option '-T' (see zpcitrace status --help)" "$tmp/err")"
run "$bin" status 10
check "status with a duration exits 64" test "$rc" = 64 -a -z "$out"

# ---- broken and hostile input (issue 14): each check failed before its fix --------------------------------
mk() { python3 "$(dirname "$0")/mkcapture.py" "$@"; }
mk "$tmp/ovf.jsonl" overflow
mk "$tmp/ooo.jsonl" outoforder
mk "$tmp/noreader.jsonl" noreader

run "$bin" report --perfetto "$tmp/ovf.jsonl" "$tmp/ovf.jsonl"
check "report --perfetto over its own input is refused (exit 1, one line) and the input stays" \
	test "$rc" = 1 -a "$(lines "$err")" = 1 -a -n "$(grep -e 'is the input' "$tmp/err")" \
	-a "$(grep -c '' "$tmp/ovf.jsonl")" = 16
echo untouched > "$tmp/target"
ln -s "$tmp/target" "$tmp/link.json"
run "$bin" report --perfetto "$tmp/link.json" "$tmp/ovf.jsonl"
check "report --perfetto never writes through a symlink: the link is replaced, its target untouched" \
	test "$rc" = 0 -a "$(cat "$tmp/target")" = untouched -a ! -L "$tmp/link.json" -a -s "$tmp/link.json"
(cd "$tmp" && "$abs_bin" report --perfetto - ovf.jsonl > "$tmp/stdout.json" 2> "$tmp/err")
check "report --perfetto - writes the timeline to stdout (valid JSON), the summary to stderr" \
	python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/stdout.json"
check "... and no file named '-'" test ! -e "$tmp/-" -a -n "$(grep -e '^zpcitrace: summary' "$tmp/err")"
run "$bin" report --perfetto /dev/null "$tmp/ovf.jsonl"
check "report --perfetto over a device is refused" test "$rc" = 1 -a -n "$(grep -e 'not a regular file' "$tmp/err")"
mkdir -p "$tmp/small"
if mount -t tmpfs -o size=64k zt-small "$tmp/small" 2>/dev/null; then
	head -c 65536 /dev/zero > "$tmp/small/ballast" 2>/dev/null
	run "$bin" report --perfetto "$tmp/small/t.json" "$tmp/ovf.jsonl"
	check "report --perfetto on a full disk: exit 1, says so, leaves no file behind" \
		test "$rc" = 1 -a -n "$(grep -e 'No space left' "$tmp/err")" -a "$(ls -A "$tmp/small")" = ballast
	umount "$tmp/small"
else
	echo "skip report --perfetto on a full disk: cannot mount a tmpfs here"
fi

run "$bin" report -j "$tmp/ovf.jsonl"
python3 -c "import json,sys; json.loads(sys.argv[1])" "$out" && valid=1 || valid=0
"$bin" report -j "$tmp/ovf.jsonl" > /dev/full 2> "$tmp/err"
check "report -j > /dev/full exits 1 and says so" test "$?" = 1 -a "$valid" = 1 -a -n "$(grep -e 'cannot write' "$tmp/err")"
for t in +1e300 +inf +nan 12:00:nan +-1 "+ 1" 12:00; do
	run "$bin" report --since "$t" "$tmp/ovf.jsonl"
	check "report --since '$t' is refused (exit 64, one line)" test "$rc" = 64 -a "$(lines "$err")" = 1
done
run "$bin" report --fid 0x99 "$tmp/ovf.jsonl"
check "report --fid of a function not in the capture: exit 1, one line, no all-zero summary" \
	test "$rc" = 1 -a -z "$out" -a "$(lines "$err")" = 1 -a -n "$(grep -e 'the selection is empty' "$tmp/err")"
run "$bin" report --since +20 --until +10 "$tmp/ovf.jsonl"
check "report --until before --since: exit 1, one line" test "$rc" = 1 -a -n "$(grep -e 'until is before' "$tmp/err")"
run "$bin" report --fid 010 -j "$tmp/ovf.jsonl"
check "--fid 010 is ten (decimal, never octal)" test "$rc" = 0 -a -n "$(grep -e '"fid":"0x0000000a"' "$tmp/out")"
run "$bin" report --fid 08 -j "$tmp/ovf.jsonl"
check "--fid 08 is eight (and accepted)" test "$rc" = 1 -a -n "$(grep -e 'function 0x00000008 has no events' "$tmp/err")"
run "$bin" report -j "$tmp/ooo.jsonl"
check "out-of-order timestamps are counted and never underflow (FULL_MS, latency)" \
	python3 -c '
import json, sys
s = json.loads(sys.argv[1]); f = s["functions"][0]
assert s["counters"]["out_of_order"] == 2, s["counters"]
assert f["full_ms"] < 1e9 and f["enqueue_dequeue"]["max_us"] < 1e9, f' "$out"
run "$bin" report -j "$tmp/noreader.jsonl"
run "$bin" report --perfetto "$tmp/nr.json" "$tmp/noreader.jsonl"
check "the no-reader capture's timeline: a span per discarded error and a queue-depth counter" \
	python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
spans = [e for e in ev if e.get("ph") == "X"]
assert [s["args"]["end"] for s in spans] == ["discarded", "discarded"], spans
assert any(e.get("ph") == "C" and e["name"] == "queue depth" for e in ev)' "$tmp/nr.json"
head -c 3000 "$tmp/ovf.jsonl" | head -n 8 > "$tmp/cut.jsonl"
printf '{"event":"arrival"  garbage\n' >> "$tmp/cut.jsonl"
tail -n 8 "$tmp/ovf.jsonl" >> "$tmp/cut.jsonl"
run "$bin" report -j "$tmp/cut.jsonl"
check "a damaged line is skipped and counted (line 9), the rest read, exit 3" \
	python3 -c '
import json, sys
s = json.loads(sys.argv[1]); c = s["capture"]
assert c["damaged"] and c["skipped_lines"] == 1 and c["first_skipped_line"] == 9, c
assert s["counters"]["arrived"] == 5, s["counters"]' "$out"
check "... and its exit status is 3, said in one line" test "$rc" = 3 -a "$(lines "$err")" = 1
mk "$tmp/long.jsonl" longline
run bash -c "ulimit -v 600000; exec $bin report -j $tmp/long.jsonl"
check "a 50 MB line is refused unread (within 600 MB of address space), the rest read" \
	test "$rc" = 3 -a -n "$(grep -e 'longer than the format allows' "$tmp/out")"
mkfifo "$tmp/fifo"
run timeout 10 "$bin" report "$tmp/fifo"
check "report on a FIFO with no writer: refused at once (exit 2), no hang" \
	test "$rc" = 2 -a -n "$(grep -e 'not a regular file' "$tmp/err")"
# many captures as one: stdin, compressed, a file given twice
"$bin" report -j "$tmp/ovf.jsonl" > "$tmp/want" 2>/dev/null
run bash -c "gzip -c $tmp/ovf.jsonl | $bin report -j -"
check "report - reads a gzip capture from stdin: the same summary as the file's" \
	test "$rc" = 0 -a "$out" = "$(cat "$tmp/want")"
zstd -q -c "$tmp/ovf.jsonl" > "$tmp/ovf.jsonl.zst"
run "$bin" report -j "$tmp/ovf.jsonl.zst"
check "report reads a zstd capture: the same summary as the file's" test "$rc" = 0 -a "$out" = "$(cat "$tmp/want")"
run "$bin" report "$tmp/ovf.jsonl" "$tmp/ovf.jsonl.zst"
check "report of the same capture twice is refused in one line (exit 2), nothing counted" \
	test "$rc" = 2 -a -z "$out" -a "$(lines "$err")" = 1 -a -n "$(grep -e 'the same capture twice' "$tmp/err")"
run "$bin" report - -
check "report - - is refused (exit 64)" test "$rc" = 64
run "$bin" status --exporter-file ''
check "status --exporter-file '' is a usage error (exit 64)" test "$rc" = 64 -a -n "$(grep -e 'an empty file name' "$tmp/err")"
run "$bin" --prom "$tmp/x.prom" --log-losses
check "--log-losses passes the command line (exit 69 here: no zPCI)" test "$rc" = 69
run "$bin" --prom "$tmp/x.prom" -j
check "--prom with -j is refused (exit 64)" test "$rc" = 64 -a -n "$(grep -e '--prom writes metrics' "$tmp/err")"
run "$bin" --prom "$tmp/x.prom" -T
check "--prom with -T is refused (exit 64)" test "$rc" = 64
run "$bin" record -w - --flight-recorder 9
check "--flight-recorder to stdout is refused (exit 64)" test "$rc" = 64
run "$bin" record -w "$tmp/r.jsonl" -C 3k -W 2
check "record -C 3k (below one line's 4 KiB) is refused (exit 64)" test "$rc" = 64 -a -n "$(grep -e "-C: '3k'" "$tmp/err")"
run "$bin" record -w "$tmp/r.jsonl" -C 1000001 -W 2
check "record -C beyond 10^12 bytes is refused (exit 64)" test "$rc" = 64
run "$bin" record -w "$tmp/r.jsonl" -C 8k -W 2
check "record -C 8k (tcpdump's KiB suffix) passes the command line (exit 69 here: no zPCI)" test "$rc" = 69
run "$bin" record -w "$tmp/r.jsonl" -C 16
check "record -C without -W is refused in one line (exit 64)" \
	test "$rc" = 64 -a "$(lines "$err")" = 1 -a -n "$(grep -e '-C and -W go together' "$tmp/err")"
run "$bin" record -w "$tmp/r.jsonl" -C 16 -W 1
check "record -W 1 is refused: a rotation keeps at least FILE and FILE.1 (exit 64)" \
	test "$rc" = 64 -a -n "$(grep -e "-W: '1' is not a number of files (2 to 1000)" "$tmp/err")"
run "$bin" record -w - -C 16 -W 4
check "record -C to stdout, or with --flight-recorder, is refused (exit 64)" \
	test "$rc" = 64 -a -n "$(grep -e '-C rotates the files of a capture' "$tmp/err")"
run "$bin" -C 16 -W 4
check "-C and -W are record's options: the live view refuses them (exit 64)" test "$rc" = 64
# bad input is said when the command line is read, in one line, before anything starts
run "$bin" record -w ''
check "record -w '' is refused when read (exit 64), one line" \
	test "$rc" = 64 -a "$(lines "$err")" = 1 -a -n "$(grep -e "-w: an empty file name" "$tmp/err")"
run "$bin" --prom "$tmp/no/such/dir/x.prom"
check "--prom into a missing directory: one line before anything starts, exit 1 (an output it cannot write)" \
	test "$rc" = 1 -a "$err" = "zpcitrace: cannot write $tmp/no/such/dir/x.prom: no directory $tmp/no/such/dir"
run "$bin" record -w "$tmp/a.jsonl" -w "$tmp/b.jsonl"
check "an option given twice is refused, not the last one silently winning (exit 64)" \
	test "$rc" = 64 -a -n "$(grep -e '-w is given twice' "$tmp/err")"
run "$bin" -i 5 -i 10
check "... -i too" test "$rc" = 64 -a -n "$(grep -e '-i is given twice' "$tmp/err")"
run "$bin" report --since +1 --since +2 "$tmp/ovf.jsonl"
check "... and report's --since" test "$rc" = 64 -a -n "$(grep -e '--since is given twice' "$tmp/err")"
run "$bin" report ''
check "report '' is a usage error in one clear line (exit 64)" \
	test "$rc" = 64 -a "$(lines "$err")" = 1 -a -n "$(grep -e 'an empty capture FILE name' "$tmp/err")"
run "$bin" report /dev/zero
check "report /dev/zero names the file once (exit 2)" \
	test "$rc" = 2 -a "$err" = "zpcitrace: /dev/zero: not a regular file (give '-' to read stdin)"
run "$bin" report "$tmp/no-such.jsonl"
check "report of a missing file names it once (exit 2)" \
	test "$rc" = 2 -a "$err" = "zpcitrace: $tmp/no-such.jsonl: cannot open: No such file or directory"
run "$bin" record -w "$tmp/fr.jsonl" --flight-recorder 100000000
check "--flight-recorder beyond 1000000 events is refused, with the memory it would take (exit 64)" \
	test "$rc" = 64 -a -n "$(grep -e '1 to 1000000, 122 MiB' "$tmp/err")"
run "$bin" record -w "$tmp/fr.jsonl" --flight-recorder 8 -W 3
check "record --flight-recorder with -W (its dumps on disk) passes the command line (exit 69 here: no zPCI)" \
	test "$rc" = 69 -a -n "$(grep -e 'zPCI' "$tmp/err")"
run "$bin" record -w "$tmp/r.jsonl" -W 3
check "... and -W without -C or --flight-recorder is refused (exit 64)" \
	test "$rc" = 64 -a -n "$(grep -e '-C and -W go together' "$tmp/err")"
ln -s /proc/self/fd/2 "$tmp/stderr-link"
run "$bin" report --perfetto "$tmp/stderr-link" "$tmp/ovf.jsonl"
check "--perfetto through a link to a descriptor is refused, '-' named, the link untouched (exit 1)" \
	test "$rc" = 1 -a -n "$(grep -e "give '-' for stdout" "$tmp/err")" -a "$(readlink "$tmp/stderr-link")" = /proc/self/fd/2
cp "$tmp/ovf.jsonl" "$tmp/dup.jsonl"
sed -n 3p "$tmp/ovf.jsonl" | sed -i '3r /dev/stdin' "$tmp/dup.jsonl"
run "$bin" report -j "$tmp/dup.jsonl"
check "a repeated line: the trailer's count disagrees, exit 4, said in one line" \
	test "$rc" = 4 -a "$(lines "$err")" = 1 -a -n "$(grep -e 'its trailer counts 14 events, 15 were read' "$tmp/err")"
(umask 077 && "$bin" report --perfetto "$tmp/private.json" "$tmp/ovf.jsonl" >/dev/null 2>&1)
check "an output honours the umask: 077 gives 0600" test "$(stat -c %a "$tmp/private.json")" = 600
# the JSON contract: report -j of sound, damaged and miscounted captures against docs/zpcitrace.schema.json and
# docs/facts.md (Debian's python3 with python3-jsonschema)
schema() { /usr/bin/python3 "$(dirname "$0")/schema.py" "$@" > "$tmp/schema.out" 2>&1; }
for c in ovf noreader ooo dup; do "$bin" report -j "$tmp/$c.jsonl" > "$tmp/$c.json" 2>/dev/null; done
head -c -200 "$tmp/ovf.jsonl" > "$tmp/cut.jsonl"
"$bin" report -j "$tmp/cut.jsonl" > "$tmp/cut.json" 2>/dev/null
schema "$tmp/ovf.json" "$tmp/noreader.json" "$tmp/ooo.json" "$tmp/dup.json" "$tmp/cut.json"
check "report -j of sound, damaged and miscounted captures validates against the schema, keys as facts.md" \
	test "$?" = 0 -a "$(grep -c '1 objects valid' "$tmp/schema.out")" = 5
"$bin" report --events -j "$tmp/ovf.jsonl" > "$tmp/events.json" 2>/dev/null
schema "$tmp/events.json"
check "report --events -j: the start object, 14 events and the summary, each to the schema" \
	test "$?" = 0 -a -n "$(grep -e '16 objects valid' "$tmp/schema.out")"
run "$bin" report --no-summary "$tmp/ovf.jsonl"
check "report --no-summary without --events is a usage error (exit 64)" \
	test "$rc" = 64 -a -n "$(grep -e 'goes with --events' "$tmp/err")"
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); o["counters"]["errors arrived"]=o["counters"].pop("arrived"); print(json.dumps(o))' \
	"$tmp/ovf.json" > "$tmp/prose.json"
schema "$tmp/prose.json"
check "... and the check fails on a counter keyed by its words" test "$?" = 1 -a -n "$(grep -e 'errors arrived' "$tmp/schema.out")"
run "$bin" --no-such-flag
check "argp's errors are one line with one prefix (zpcitrace:, not the path)" \
	test "$(lines "$err")" = 1 -a "${err#zpcitrace: }" != "$err"
run "$bin" report --no-such-flag x
check "report's errors are one line too" test "$rc" = 64 -a "$(lines "$err")" = 1 -a "${err#zpcitrace: }" != "$err"
for cmd in "" record report status; do
	run "$bin" $cmd --help
	ARGP_HELP_FMT=rmargin=300 "$bin" $cmd --help | sed -n '/^EXAMPLES/,$p' > "$tmp/wide"
	check "${cmd:-live} --help: exit 0, its examples as written (argp wraps none at 80 columns)" \
		test "$rc" = 0 -a -s "$tmp/wide" -a "$(sed -n '/^EXAMPLES/,$p' "$tmp/out")" = "$(cat "$tmp/wide")"
done
run "$bin" record --help
check "record --help shows record's options, not the live view's" \
	test -n "$(grep -e '--flight-recorder' "$tmp/out")" -a -z "$(grep -e '--prom' "$tmp/out")"
run "$bin" report --help
check "report --help shows report's options and its exit status" \
	test -n "$(grep -e '--since' "$tmp/out")" -a -n "$(grep -e 'Exit status' "$tmp/out")"
man="$(dirname "$0")/../../docs/zpcitrace.8"
missing=
for cmd in "" record report status; do
	for o in $("$bin" $cmd --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
		name=${o#--}
		grep -qF -- "\\-\\-${name//-/\\-}" "$man" || missing="$missing $o"
	done
done
check "the man page lists every option of every command${missing:+ (missing:$missing)}" test -z "$missing"

# the beds without their test kernel (a clone without ../shared, before make test-kernels): skipped in one line
top=$(cd "$(dirname "$0")/../.." && pwd)
skip=$(make -C "$top" --no-print-directory -n e2e JIT_KERNEL= CI= 2>/dev/null)
check "make e2e without the JIT kernel: one line names the skipped bed and 'make test-kernels'; --skip-bed jit-7.3" \
	test "$(printf '%s\n' "$skip" | grep -c "skipping the beds jit-7.3: .*'make test-kernels' builds it")" = 1 \
	-a -n "$(printf '%s\n' "$skip" | grep -e '--skip-bed jit-7.3')" -a -z "$(printf '%s\n' "$skip" | grep -e 'jit-7.3=')"
skip=$(make -C "$top" --no-print-directory -n e2e V12_KERNEL= CI= 2>/dev/null)
check "make e2e without the v12 kernel: the same for its bed; --skip-bed v12-7.3" \
	test "$(printf '%s\n' "$skip" | grep -c "skipping the beds v12-7.3: no vmlinuz-7.3-v12-s390x .*'make test-kernels'")" = 1 \
	-a -n "$(printf '%s\n' "$skip" | grep -e '--skip-bed v12-7.3')" -a -z "$(printf '%s\n' "$skip" | grep -e 'v12-7.3=')"
make -C "$top" --no-print-directory -n e2e JIT_KERNEL= CI=true >/dev/null 2>"$tmp/err"
check "... and with CI set it is an error: CI runs every bed" test "$?" != 0 -a -n "$(grep -e 'CI runs every bed' "$tmp/err")"

# bash completion (packaging/zpcitrace.bash-completion), with this zpcitrace first in PATH as installed
comp() { # WORDS...: the completions of the last word
	PATH="$(dirname "$abs_bin"):$PATH" bash -c '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _zpcitrace
		printf "%s\n" "${COMPREPLY[@]}"' "$top/packaging/zpcitrace.bash-completion" "$@"
}
check "bash completion: 'zpcitrace rep' completes to report; 're' offers record and report" \
	test "$(comp zpcitrace rep)" = report -a "$(comp zpcitrace re | tr '\n' ' ')" = "record report "
check "bash completion: 'zpcitrace record --' lists record's options (from its --help)" \
	test "$(comp zpcitrace record -- | grep -cxE -e '--(write|file-size|file-count|flight-recorder|no-hook)')" = 5 \
	-a -z "$(comp zpcitrace record -- | grep -x -e '--prom')"
check "bash completion: --no-hook offers the hooks that can be switched off, as user/hooks.c names them" \
	test "$(comp zpcitrace --no-hook '' | sort | tr '\n' ' ')" = \
	"$(grep -oE '\{ "(zpci|vfio)_[a-z_]+"' "$top/user/hooks.c" | tr -d '{" ' | grep -vx zpci_event_error | sort | tr '\n' ' ')"
mkdir -p "$tmp/sys"
check "bash completion: report's FILE completes file names" test "$(cd "$tmp" && comp zpcitrace report --fid 1 sy)" = sys

no_zpci() { # the kernel has no zPCI: one clear line, exit 69 (EX_UNAVAILABLE: a unit must not restart), nothing on stdout
	test "$rc" = 69 -a -z "$out" -a "$(lines "$err")" = 1 && grep -q 'no zPCI error path' "$tmp/err"
}
if grep -qw zpci_event_error /proc/kallsyms; then
	echo "skip refusal on a kernel without zPCI: this kernel has zPCI"
else
	run "$bin" -T --fid 1 --no-hook zpci_store_pci_error
	check "no zPCI in the kernel: one clear line on stderr, exit 69 (EX_UNAVAILABLE)" no_zpci
	run "$bin" status -j
	check "status on a kernel without zPCI: the same one line, exit 69" no_zpci
	if [ -n "$s390x_bin" ]; then
		run qemu-s390x-static "$s390x_bin"
		check "the static s390x build starts and refuses the same way (qemu-user)" no_zpci
	fi
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
