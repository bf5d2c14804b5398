#!/bin/bash
# cli.sh ZPCITRACE [S390X_ZPCITRACE] - command-line behaviour that needs no zPCI kernel: help, version, bad
# input, and the clear refusal on a kernel without zPCI (this x86 host). The static s390x build, when given,
# runs the same refusal under qemu-s390x-static. Ends with "N passed, N failed".
set -u
bin=$1
s390x_bin=${2:-}
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

run "$bin" --version
check "--version names zpcitrace" test "$rc" = 0 -a -n "$(grep '^zpcitrace ' "$tmp/out")"

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
for f in /etc/passwd "$tmp/future.jsonl" "$tmp/corrupt.jsonl" "$tmp/binary.jsonl" "$tmp/empty.jsonl" "$tmp/missing.jsonl"; do
	run "$bin" report "$f"
	check "report $(basename "$f"): exit 2, one line on stderr, nothing on stdout" \
		test "$rc" = 2 -a -z "$out" -a "$(lines "$err")" = 1
done
run "$bin" report "$tmp/ok.jsonl"
check "report of a capture cut after its header: exit 0, a summary, says it was cut" \
	test "$rc" = 0 -a -n "$(grep -e '^zpcitrace: summary' "$tmp/out")" -a -n "$(grep -e 'cut short' "$tmp/err")"
run "$bin" report --since yesterday "$tmp/ok.jsonl"
check "report --since with a bad time exits 64" test "$rc" = 64
run "$bin" report
check "report without a file exits 64" test "$rc" = 64
run "$bin" record
check "record without -w exits 64" test "$rc" = 64
run "$bin" --flight-recorder 5
check "--flight-recorder without record exits 64" test "$rc" = 64
run "$bin" status -T
check "status with a live-view flag exits 64 and says what status takes" \
	test "$rc" = 64 -a -z "$out" -a -n "$(grep -e 'status reads the queues and exits' "$tmp/err")"
run "$bin" status 10
check "status with a duration exits 64" test "$rc" = 64 -a -z "$out"

no_zpci() { # the kernel has no zPCI: one clear line, non-zero exit, nothing on stdout
	test "$rc" = 1 -a -z "$out" -a "$(lines "$err")" = 1 && grep -q 'no zPCI error path' "$tmp/err"
}
if grep -qw zpci_event_error /proc/kallsyms; then
	echo "skip refusal on a kernel without zPCI: this kernel has zPCI"
else
	run "$bin" -T --fid 1 --no-hook zpci_store_pci_error
	check "no zPCI in the kernel: one clear line on stderr, exit 1" no_zpci
	run "$bin" status -j
	check "status on a kernel without zPCI: the same one line, exit 1" no_zpci
	if [ -n "$s390x_bin" ]; then
		run qemu-s390x-static "$s390x_bin"
		check "the static s390x build starts and refuses the same way (qemu-user)" no_zpci
	fi
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
