#!/bin/bash
# packages.sh DEB RPM NATIVE_BIN: the packages make deb and make rpm built, checked as a distribution would:
# lintian and rpmlint report no errors, the contents and maintainer scripts are what the README says, the rpm
# installs into a scratch root and erases from it, and the units pass systemd-analyze verify. The install on a
# running s390x system with systemd is the system bed's (tests/e2e). Ends with "N passed, N failed".
set -u
deb=$1 rpm=$2 native=$3
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # check NAME CMD...
	local name=$1
	shift
	if "$@" >"$tmp/check.out" 2>&1; then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		sed 's/^/     /' "$tmp/check.out" | head -20
	fi
}

# ---- the .deb ------------------------------------------------------------------------------------------------
lintian --fail-on error --display-level '>=warning' "$deb" >"$tmp/lintian" 2>&1
lrc=$?
echo "lintian $(basename "$deb") (with its overrides, which debian/zpcitrace.lintian-overrides explains):"
lintian --display-level '>=warning' --show-overrides "$deb" 2>&1 | grep -v -e 'running with root privileges' -e '^N: ' |
	sed 's/^/  /'
check "lintian reports no errors (exit 0, no E: tag)" test "$lrc" = 0 -a -z "$(grep '^E:' "$tmp/lintian")"
check "the .deb is for s390x, with the version in its name" \
	test "$(dpkg-deb -f "$deb" Architecture)" = s390x -a "$(dpkg-deb -f "$deb" Version)" = \
	"$(basename "$deb" | sed 's/^zpcitrace_\(.*\)_s390x\.deb$/\1/')"
dpkg-deb -x "$deb" "$tmp/deb"
dpkg-deb -e "$deb" "$tmp/deb/DEBIAN"
want_files="usr/sbin/zpcitrace usr/share/man/man8/zpcitrace.8.gz usr/lib/systemd/system/zpcitrace-exporter.service
	usr/lib/systemd/system/zpcitrace-recorder.service etc/default/zpcitrace usr/share/doc/zpcitrace/copyright
	usr/share/doc/zpcitrace/README.md usr/share/doc/zpcitrace/prometheus.md usr/share/doc/zpcitrace/runbook.md
	usr/share/zpcitrace/mixin/prometheus_alerts.yaml usr/share/zpcitrace/mixin/prometheus_rules.yaml
	usr/share/zpcitrace/mixin/dashboards_out/zpcitrace.json usr/share/bash-completion/completions/zpcitrace
	usr/lib/python3/dist-packages/sos/report/plugins/zpcitrace.py etc/sos/extras.d/zpcitrace
	usr/lib/supportconfig/plugins/zpcitrace"
missing() { for f in $want_files; do [ -e "$tmp/$1/$f" ] || echo "missing $f"; done; }
check "the .deb holds the tool, the man page, both units, /etc/default/zpcitrace, the mixin (alerts, recording rules, dashboard), the bash completion and the docs (uncompressed, where the man page and the alerts point)" \
	test -z "$(missing deb)"
check "/usr/sbin/zpcitrace is the static s390x build" \
	bash -c "file '$tmp/deb/usr/sbin/zpcitrace' | grep -q 'IBM S/390.*statically linked'"
check "its binary's version is the package's (a new commit rebuilds the version it reports)" \
	test "$(qemu-s390x-static "$tmp/deb/usr/sbin/zpcitrace" --version | head -1)" = "zpcitrace $(dpkg-deb -f "$deb" Version)"
check "/etc/default/zpcitrace is a conffile" grep -qx /etc/default/zpcitrace "$tmp/deb/DEBIAN/conffiles"
check "postinst enables and starts the exporter (debhelper), and leaves the recorder to the operator" \
	bash -c "grep -q \"deb-systemd-helper enable 'zpcitrace-exporter.service'\" '$tmp/deb/DEBIAN/postinst' &&
		grep -q \"deb-systemd-invoke \\\$_dh_action 'zpcitrace-exporter.service'\" '$tmp/deb/DEBIAN/postinst' &&
		! grep -q \"deb-systemd-invoke .*zpcitrace-recorder\" '$tmp/deb/DEBIAN/postinst'"
check "an upgrade restarts the exporter (prerm does not stop it, postinst restarts it)" \
	bash -c "grep -q '_dh_action=restart' '$tmp/deb/DEBIAN/postinst'"
check "purge removes what the services wrote (the captures, the textfile)" \
	bash -c "grep -q 'rm -rf /var/lib/zpcitrace' '$tmp/deb/DEBIAN/postrm' &&
		grep -q 'rm -f /var/lib/prometheus/node-exporter/zpcitrace.prom' '$tmp/deb/DEBIAN/postrm'"

# the native build (what dpkg-buildpackage and rpmbuild make on s390x): devscripts' hardening-check. Not its
# control-flow test: Debian 12's C library start files carry no CET property, so no binary linked here has it
# (its own ssh and bpftool fail it too)
check "hardening-check: the native binary is PIE, stack-protected, fortified, with full RELRO (BIND_NOW)" \
	hardening-check --nocfprotection "$native"
check "the static s390x build embeds what Static-Built-Using names (libbpf, elfutils, zlib, libzstd)" \
	bash -c "dpkg-deb -f '$deb' Static-Built-Using | grep -qE '^elfutils \(= [^)]+\), libbpf \(= [^)]+\), libzstd \(= [^)]+\), zlib \(= [^)]+\)$'"
check "debian/copyright names the licences of what is embedded; COPYING holds the GPL-2" \
	bash -c "for l in 'LGPL-2.1' 'BSD-2-Clause' 'GPL-2+ or LGPL-3+' 'Zlib' 'BSD-3-Clause or GPL-2'; do
		grep -qx \"License: \$l\" '$tmp/deb/usr/share/doc/zpcitrace/copyright' || exit 1; done
		grep -q 'GNU GENERAL PUBLIC LICENSE' '$top/COPYING' && grep -q 'Version 2, June 1991' '$top/COPYING'"

# the units: systemd's own check, with the tool's path pointing at a binary that exists here
for u in zpcitrace-exporter zpcitrace-recorder; do
	sed "s#/usr/sbin/zpcitrace#$(realpath "$native")#" "$tmp/deb/usr/lib/systemd/system/$u.service" >"$tmp/$u.service"
	check "systemd-analyze verify accepts $u.service" \
		bash -c "out=\$(systemd-analyze verify --man=no '$tmp/$u.service' 2>&1); echo \"\$out\"; test -z \"\$out\""
done
check "both units: NoNewPrivileges, ProtectSystem=strict, the capabilities bounded, CAP_SYS_ADMIN explained" \
	bash -c "for u in exporter recorder; do f='$tmp/deb/usr/lib/systemd/system/zpcitrace-'\$u.service
		grep -qx NoNewPrivileges=yes \$f && grep -qx ProtectSystem=strict \$f && grep -q '^ReadWritePaths=' \$f &&
		grep -qx 'CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_SYS_ADMIN CAP_SYSLOG CAP_SYS_RESOURCE CAP_SYS_PTRACE' \$f &&
		grep -q '^#.*CAP_SYS_ADMIN.*BTF' \$f || exit 1; done"
# systemd-analyze security's exposure, at most 3.0 (of 10) for each unit: what remains is what tracing needs
# (root with CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON, CAP_SYSLOG, CAP_SYS_PTRACE; bpf() and perf_event_open(); the
# host's network namespace, where the kernel's uevents arrive; all of /proc, for the owners and kallsyms)
for u in zpcitrace-exporter zpcitrace-recorder; do
	check "systemd-analyze security rates $u.service 3.0 or better (its exposure: $(systemd-analyze security \
		--offline=true "$tmp/$u.service" 2>/dev/null | sed -n 's/.*exposure level for .*: \([0-9.]*\).*/\1/p'))" \
		systemd-analyze security --offline=true --threshold=30 "$tmp/$u.service"
	check "$u.service is Type=notify with a watchdog, and no restart after a permanent failure (69 77 78)" \
		bash -c "grep -qx Type=notify '$tmp/$u.service' && grep -qx WatchdogSec=60 '$tmp/$u.service' &&
			grep -qx 'RestartPreventExitStatus=69 77 78' '$tmp/$u.service'"
done
check "the recorder's capture is bounded: rotated with -C and -W under /var/lib/zpcitrace" \
	grep -q '^ExecStart=/usr/sbin/zpcitrace record -w /var/lib/zpcitrace/capture.jsonl -C ${ZPCITRACE_FILE_MB} -W ${ZPCITRACE_FILES}' \
	"$tmp/deb/usr/lib/systemd/system/zpcitrace-recorder.service"

# ---- the .rpm ------------------------------------------------------------------------------------------------
rpmlint -c "$top/packaging/rpmlint.toml" "$rpm" >"$tmp/rpmlint" 2>&1
rrc=$?
echo "rpmlint $(basename "$rpm"):"
grep -E '^[a-z].*: [EW]: |errors, ' "$tmp/rpmlint" | sed 's/^/  /'
check "rpmlint reports no errors" test "$rrc" = 0 -a -n "$(grep ' 0 errors, ' "$tmp/rpmlint")"
check "the rpm is for s390x" test "$(rpm -qp --qf '%{ARCH}' "$rpm" 2>/dev/null)" = s390x
check "the rpm's scriptlets preset, disable and try-restart both units" \
	bash -c "rpm -qp --scripts '$rpm' 2>/dev/null | grep -c 'zpcitrace-exporter.service zpcitrace-recorder.service' | grep -qx 3"
root=$tmp/rpmroot
mkdir -p "$root"
rpm --root "$root" --initdb
# no shell in the scratch root: the scriptlets run on a real system (the system bed); here only the files
check "the rpm installs into a scratch root (rpm --root)" \
	rpm --root "$root" -i --ignorearch --nodeps --noscripts "$rpm"
want_files="usr/sbin/zpcitrace usr/share/man/man8/zpcitrace.8.gz usr/lib/systemd/system/zpcitrace-exporter.service
	usr/lib/systemd/system/zpcitrace-recorder.service etc/sysconfig/zpcitrace usr/share/zpcitrace/mixin/prometheus_alerts.yaml
	usr/share/zpcitrace/mixin/prometheus_rules.yaml usr/share/zpcitrace/mixin/dashboards_out/zpcitrace.json
	usr/share/bash-completion/completions/zpcitrace usr/lib/python3.9/site-packages/sos/report/plugins/zpcitrace.py
	etc/sos/extras.d/zpcitrace usr/lib/supportconfig/plugins/zpcitrace"
check "... with the tool, the man page, both units, /etc/sysconfig/zpcitrace, the mixin and the bash completion" \
	test -z "$(missing rpmroot)"
check "... and the rpm database knows it, the sysconfig file as %config(noreplace)" \
	bash -c "rpm --root '$root' -q zpcitrace && rpm --root '$root' -qc zpcitrace | grep -qx /etc/sysconfig/zpcitrace"
check "rpm -e removes every file it installed" \
	bash -c "rpm --root '$root' -e --noscripts --nodeps zpcitrace && test -z \"\$(find '$root/usr' '$root/etc' -type f)\""
# the spec's native build, on s390x RHEL/SLES: parsed here, not run
check "the spec's native build runs make and needs clang, bpftool, libbpf-devel and elfutils-libelf-devel" \
	bash -c "spec=\$(rpmspec -P --target s390x '$top/zpcitrace.spec' 2>/dev/null);
		for r in clang bpftool libbpf-devel elfutils-libelf-devel; do
			echo \"\$spec\" | grep -qx \"BuildRequires:  *\$r\" || exit 1; done
		echo \"\$spec\" | grep -q '^/usr/bin/make .*VERSION='"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
