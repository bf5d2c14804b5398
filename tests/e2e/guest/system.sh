#!/bin/sh
# The system bed's session (zt-system.service runs it once multi-user.target is up; tests/e2e/system.py checks
# what it leaves in /root/zt/out). An operator's life cycle of the package on a Debian s390x host with systemd:
#   install    dpkg -i the older build: its maintainer scripts enable and start zpcitrace-exporter
#   enable     the operator sets ZPCITRACE_INTERVAL=1 in /etc/default/zpcitrace, then
#              'systemctl enable --now zpcitrace-exporter', with no vfio module loaded yet
#   overflow   modprobe vfio-pci, bind fid 1, the VMM overflows the queue; node_exporter's /metrics (curl)
#   stop       ZPCITRACE_INTERVAL=600, restart, two errors, 'systemctl stop': only the stop can write them
#   upgrade    dpkg -i the newer build while the exporter runs
#   recorder   'systemctl start zpcitrace-recorder', the overflow again, 'systemctl stop'; the capture is kept
#   runbook    every "sh" block of the installed runbook (/usr/share/doc/zpcitrace/runbook.md*), as written
#   support    sos report (Debian's sosreport) with zpcitrace's plugin and the extras.d drop-in; the supportconfig
#              plugin, run as supportconfig runs it
#   permanent  a --btf file that does not exist: the exporter fails once (exit 78) and is not restarted
#   purge      dpkg --purge; every file the package had is listed, and whatever is left of them
# Every step's output goes to /root/zt/out/STEP.*; "ZT: " lines go to the console.
set -u
Z=/root/zt
O=$Z/out
TEXTFILE=/var/lib/prometheus/node-exporter/zpcitrace.prom
FID=0x00000001
mkdir -p $O
uptime() { cut -d' ' -f1 /proc/uptime; }
say() { echo "ZT: $* uptime=$(uptime)" | tee -a $O/steps.txt > /dev/console; }

# the unit's state, as systemctl shows it, to $O/STEP.UNIT.state
state() {
	systemctl show -p ActiveState -p SubState -p Result -p ExecMainStatus -p MainPID -p UnitFileState \
		-p InvocationID -p NRestarts zpcitrace-$2 > $O/$1.$2.state
}
invocation() { systemctl show -p InvocationID --value zpcitrace-$1; }
vfio_modules() { grep -c '^vfio' /proc/modules; }

# wait_journal UNIT TEXT [N]: until this invocation of the unit has logged TEXT N times (default 1), at most 300 s
# by the clock (a guard against a hang: under TCG, loading the programs alone takes seconds). Each journalctl
# is bounded too: one once hung the session past the host's timeout.
wait_journal() {
	inv=$(invocation $1) t0=$(cut -d. -f1 /proc/uptime)
	until [ "$(timeout 20 journalctl -q _SYSTEMD_INVOCATION_ID=$inv -o cat | grep -cF "$2")" -ge "${3:-1}" ] ||
		[ $(($(cut -d. -f1 /proc/uptime) - t0)) -ge 300 ]; do
		sleep 1
	done
	say "waited $(($(cut -d. -f1 /proc/uptime) - t0)) s for zpcitrace-$1 to log '$2' x${3:-1}"
}
set_option() { sed -i "s/^$1=.*/$1=$2/" /etc/default/zpcitrace; }
vmm() { # STEP COMMAND...: a VMM session on the vfio-bound function
	step=$1; shift
	$Z/zpci_vmm $DEV "$@" > $O/$step.vmm.txt 2>&1
	echo $? > $O/$step.vmm.rc
	say "$step: VMM session rc=$(cat $O/$step.vmm.rc)"
}

say "system bed up: $(uname -r), $(systemctl is-system-running)"
systemctl --failed --no-legend > $O/boot.failed
vfio_modules > $O/boot.vfio

# ---- install
DEBIAN_FRONTEND=noninteractive dpkg -i $Z/old/*.deb > $O/install.txt 2>&1
echo $? > $O/install.rc
vfio_modules > $O/install.vfio
state install exporter
wait_journal exporter "Tracing zPCI error events"
say "install: dpkg rc=$(cat $O/install.rc), exporter $(systemctl is-active zpcitrace-exporter)"

# ---- enable --now, before vfio
systemctl disable --now zpcitrace-exporter > $O/disable.txt 2>&1
state disable exporter
set_option ZPCITRACE_INTERVAL 1
systemctl enable --now zpcitrace-exporter > $O/enable.txt 2>&1
echo $? > $O/enable.rc
# Type=notify: the start returned once zpcitrace said READY=1, after its "Tracing" line
timeout 20 journalctl -q _SYSTEMD_INVOCATION_ID=$(invocation exporter) -o cat | grep -c "Tracing zPCI error events" > $O/enable.ready
SYSTEMD_COLORS=0 systemctl status --no-pager -n 0 zpcitrace-exporter > $O/enable.status
vfio_modules > $O/enable.vfio
state enable exporter
wait_journal exporter "pending until it is" 2
say "enable: rc=$(cat $O/enable.rc), $(cat $O/enable.vfio) vfio modules"

# ---- overflow, read through node_exporter
modprobe vfio-pci
DEV=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/function_id 2>/dev/null)" = $FID ] && DEV=$(basename $d)
done
[ -e /sys/bus/pci/devices/$DEV/driver ] && echo $DEV > /sys/bus/pci/devices/$DEV/driver/unbind
echo vfio-pci > /sys/bus/pci/devices/$DEV/driver_override
echo $DEV > /sys/bus/pci/drivers_probe
say "overflow: $DEV bound to $(basename "$(readlink /sys/bus/pci/devices/$DEV/driver)")"
wait_journal exporter "module vfio_pci_core loaded" 2
vmm overflow open error error error error error error drain close
# the drain's empty read is the session's last event: an export that holds it holds all of them
i=0
until curl -s http://localhost:9100/metrics > $O/overflow.metrics &&
	grep -q "^zpcitrace_empty_reads_total{fid=\"$FID\"} 1\$" $O/overflow.metrics || [ $i -ge 120 ]; do
	sleep 1; i=$((i + 1))
done
say "overflow: /metrics after $i s"
# its STATUS= after the overflow (sent when it changes, at most once a second)
i=0
until SYSTEMD_COLORS=0 systemctl status --no-pager -n 0 zpcitrace-exporter > $O/overflow.status &&
	grep -q "Status: \"tracing: .* [1-9][0-9]* errors" $O/overflow.status || [ $i -ge 60 ]; do
	sleep 1; i=$((i + 1))
done

# ---- stop: only SIGTERM's last export can hold the next session
set_option ZPCITRACE_INTERVAL 600
systemctl restart zpcitrace-exporter
wait_journal exporter "Tracing zPCI error events"
vmm stop open error error drain close
cp $TEXTFILE $O/stop.before.prom
systemctl stop zpcitrace-exporter
state stop exporter
cp $TEXTFILE $O/stop.after.prom
say "stop: $(systemctl is-active zpcitrace-exporter)"

# ---- upgrade while running
systemctl start zpcitrace-exporter
wait_journal exporter "Tracing zPCI error events"
state preupgrade exporter
DEBIAN_FRONTEND=noninteractive dpkg -i $Z/new/*.deb > $O/upgrade.txt 2>&1
echo $? > $O/upgrade.rc
state upgrade exporter
wait_journal exporter "Tracing zPCI error events"
cp $TEXTFILE $O/upgrade.prom
dpkg-query -W -f '${Version}\n' zpcitrace > $O/upgrade.version
grep '^ZPCITRACE_INTERVAL=' /etc/default/zpcitrace > $O/upgrade.conf
say "upgrade: dpkg rc=$(cat $O/upgrade.rc), exporter $(systemctl is-active zpcitrace-exporter)"

# ---- the recorder
systemctl start zpcitrace-recorder
state recorder.start recorder
wait_journal recorder "Tracing zPCI error events"
vmm recorder open error error error error error error drain close
systemctl stop zpcitrace-recorder
state recorder recorder
mkdir -p $O/capture
cp -a /var/lib/zpcitrace/. $O/capture/
stat -c '%a %U %n' /var/lib/zpcitrace > $O/recorder.dir
say "recorder: $(ls /var/lib/zpcitrace | tr '\n' ' ')"

# ---- the runbook's commands, as the package ships them
rb=$(ls /usr/share/doc/zpcitrace/runbook.md* | head -1)
case $rb in *.gz) zcat "$rb" ;; *) cat "$rb" ;; esac |
	awk -v dir=$O 'BEGIN { n = 0 } /^```sh$/ { n++; f = sprintf("%s/runbook.%d.sh", dir, n); next }
		/^```/ { f = ""; next } f { print > f }'
for b in $O/runbook.*.sh; do
	timeout 120 sh -e "$b" > "${b%.sh}.out" 2>&1
	echo $? > "${b%.sh}.rc"
done
say "runbook: $(ls $O/runbook.*.sh | wc -l) blocks, exit codes $(cat $O/runbook.*.rc | tr '\n' ' ')"

# ---- the support tools' collections
mkdir -p $O/sos
timeout 900 sos report --batch --only-plugins zpcitrace,sos_extras --tmp-dir $O/sos --label zt > $O/sos.txt 2>&1
echo $? > $O/sos.rc
/usr/lib/supportconfig/plugins/zpcitrace > $O/supportconfig.txt 2>&1
echo $? > $O/supportconfig.rc
say "support: sos rc=$(cat $O/sos.rc) ($(ls $O/sos)), supportconfig plugin rc=$(cat $O/supportconfig.rc)"

# ---- the watchdog: the main loop pets it every half of WatchdogSec=60
systemctl show -p WatchdogTimestampMonotonic --value zpcitrace-exporter > $O/watchdog.1
sleep 35
systemctl show -p WatchdogTimestampMonotonic --value zpcitrace-exporter > $O/watchdog.2
systemctl show -p WatchdogUSec --value zpcitrace-exporter > $O/watchdog.usec
say "watchdog: $(cat $O/watchdog.1) then $(cat $O/watchdog.2), every $(cat $O/watchdog.usec)"

# ---- a condition no restart mends: the unit fails once and stays failed (RestartPreventExitStatus)
sed -i 's|^ZPCITRACE_EXPORTER_OPTS=.*|ZPCITRACE_EXPORTER_OPTS=--btf /nonexistent/vmlinux.btf|' /etc/default/zpcitrace
systemctl restart zpcitrace-exporter
sleep 25 # RestartSec=10, twice over: a restart would have come
state permanent exporter
say "permanent: exporter $(systemctl is-active zpcitrace-exporter), $(systemctl show -p NRestarts --value zpcitrace-exporter) restarts"
sed -i 's|^ZPCITRACE_EXPORTER_OPTS=.*|ZPCITRACE_EXPORTER_OPTS=|' /etc/default/zpcitrace
systemctl reset-failed zpcitrace-exporter
systemctl start zpcitrace-exporter

timeout 60 journalctl -q -u zpcitrace-exporter -o cat > $O/exporter.journal
timeout 60 journalctl -q -u zpcitrace-exporter -p warning -o cat > $O/exporter.warnings
timeout 60 journalctl -q -u zpcitrace-recorder -o cat > $O/recorder.journal

# ---- purge
dpkg -L zpcitrace > $O/purge.files
DEBIAN_FRONTEND=noninteractive dpkg --purge zpcitrace > $O/purge.txt 2>&1
echo $? > $O/purge.rc
# left behind: a file, or an empty directory no other package owns (a directory that holds others' files, or
# is a merged-/usr alias such as /lib, is theirs)
: > $O/purge.left
for f in $(cat $O/purge.files) /etc/default/zpcitrace /var/lib/zpcitrace $TEXTFILE; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	if [ -d "$f" ]; then
		[ -n "$(ls -A "$f")" ] && continue
		dpkg-query -S "$f" > /dev/null 2>&1 && continue
	fi
	echo "$f" >> $O/purge.left
done
systemctl list-unit-files --no-legend 'zpcitrace*' > $O/purge.units
pgrep -a zpcitrace > $O/purge.procs
say "purge: dpkg rc=$(cat $O/purge.rc), $(wc -l < $O/purge.left) left"

dmesg > $O/dmesg.txt
sync
say "end"
