#!/bin/bash
# deps.sh [host|sysroot|kernel|kernel-noseries|sysbed|bench|test-kernels|demo|all] - install what zpcitrace needs on a Debian 12 x86_64 machine.
#
#   host     Debian packages for the build and the bed (apt-get, as root; only what is missing).
#   sysroot  s390x static libraries (libbpf, libelf, zlib, zstd), busybox, and an s390x bpftool (run under
#            qemu-s390x-static to make skeletons of big-endian objects), fetched with a private apt config
#            and unpacked with dpkg -x: multiarch installs of :s390x packages fail on this mirror.
#   kernel   Debian's newest s390x kernel that carries the zPCI error-queue series (resolved from the package
#            metadata), checked for the series.
#   kernel-noseries
#            Debian's bookworm-backports s390x kernel (6.12): BTF and vfio-pci, but no error queue; zpcitrace
#            must degrade there. Checked to lack the series.
#   test-kernels
#            the bed's own test kernels (tests/kernels/README.md), built from Debian's linux-source-7.3 with the
#            committed config and patch into $ZPCITRACE_CACHE/test-kernels; about an hour, once.
#   sysbed   the system bed's root: a Debian sid s390x userspace with systemd and prometheus-node-exporter
#            (debootstrap resolves it from the package metadata; its second stage runs under qemu-user), kept
#            under $ZPCITRACE_CACHE/sysbed/root. Each system e2e run boots a copy of it (tests/e2e/system.py).
#   demo     make demo: host, sysroot and kernel only (no system bed, no second kernel)
#   bench    for make bench only: Debian's s390x bpftrace and bpftool with their library closure, unpacked as
#            a root for chroot in the guest (the comparison script runs beside zpcitrace on the same hooks).
#
# Everything is cached under $ZPCITRACE_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/zpcitrace); a stamp per
# part makes reruns instant. Prints the paths it provides as KEY=VALUE lines on stdout (for make).
set -euo pipefail

CACHE=${ZPCITRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zpcitrace}
APTDIR=$CACHE/apt-s390x-new
SYSROOT=$CACHE/sysroot
TOOLROOT=$CACHE/toolroot
BENCHROOT=$CACHE/benchroot
KERNELS=$CACHE/kernels
# The newest kernels live in experimental; sid has the userspace. trixie's s390x index is broken on this mirror.
SUITES=${ZPCITRACE_SUITES:-"sid experimental"}
# Lowest kernel series that carries "Error recovery for vfio-pci devices on s390x".
MIN_SERIES=7.3

say() { echo "deps: $*" >&2; }
die() { echo "deps: error: $*" >&2; exit 1; }

# libclang-rt-14-dev: the libFuzzer and sanitizer runtimes of Debian 12's clang (make fuzz, and make check's pass);
# debhelper, lintian, rpm, rpmlint, file, systemd (systemd-analyze): make deb, make rpm and their checks;
# debootstrap: the system bed's root; prometheus (promtool), prometheus-node-exporter, prometheus-alertmanager:
# the metrics' and the alert rules' checks on a real stack
# python3-jsonschema (for Debian's /usr/bin/python3): every -j object checked against docs/zpcitrace.schema.json
HOST_PKGS="make gcc libc6-dev clang llvm libclang-rt-14-dev bpftool libbpf-dev libelf-dev zlib1g-dev libzstd-dev zstd pkg-config devscripts libcmocka-dev
  qemu-system-misc qemu-user-static gcc-s390x-linux-gnu libc6-dev-s390x-cross cpio xz-utils xxd python3
  ca-certificates debian-archive-keyring prometheus prometheus-node-exporter prometheus-alertmanager curl
  debhelper lintian rpm rpmlint file systemd debootstrap python3-jsonschema"

host() {
	local missing=()
	for p in $HOST_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run 'make deps' as root"
	say "installing host packages: ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

apt_s390x() {
	apt-get -o Dir::Etc::SourceList="$APTDIR/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
		-o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR/cache" -o Dir::State::status=/dev/null \
		-o APT::Architecture=s390x -o APT::Architectures::=s390x -o Debug::NoLocking=1 \
		-o APT::Sandbox::User=root "$@" # the cache is root's: the _apt user could not write it (apt warns)
}
apt_cache_s390x() {
	apt-cache -o Dir::Etc::SourceList="$APTDIR/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
		-o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR/cache" -o Dir::State::status=/dev/null \
		-o APT::Architecture=s390x -o APT::Architectures::=s390x "$@"
}

# use_suites NAME SUITE...: a private apt state per suite set
use_suites() {
	local name=$1; shift
	APTDIR=$CACHE/apt-s390x-$name
	SUITES="$*"
	APT_UPDATED=
}

apt_update() {
	[ -n "${APT_UPDATED:-}" ] && return 0
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
	local mirror
	mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$mirror" ] || mirror=$(awk '$1=="deb"{for(i=2;i<=NF;i++) if($i ~ /^https?:/){print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)
	[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
	: > "$APTDIR/sources.list"
	for s in $SUITES; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $s main" >> "$APTDIR/sources.list"
	done
	say "updating the private s390x package index ($SUITES)"
	apt_s390x update -qq >&2 || die "apt-get update of the s390x index failed"
	APT_UPDATED=1
}

# download PKG... into $1 (a directory), resolving nothing: the caller names every package
download() {
	local dir=$1; shift
	mkdir -p "$dir"
	(cd "$dir" && apt_s390x download -qq "$@" >&2) || die "could not download: $*"
}

# "source (= version)" of each .deb given, once a source: what a static link embeds (Static-Built-Using)
built_using() {
	for f in "$@"; do
		src=$(dpkg-deb -f "$f" Source) ver=$(dpkg-deb -f "$f" Version)
		case $src in
		*"("*")") ver=${src#*(}; ver=${ver%)}; src=${src%% *} ;;
		"") src=$(dpkg-deb -f "$f" Package) ;;
		esac
		echo "$src (= $ver)"
	done | sort -u | paste -sd, | sed 's/,/, /g'
}

sysroot() {
	if [ -e "$SYSROOT/.complete" ] && [ -e "$SYSROOT/.built-using" ] && [ -e "$TOOLROOT/.complete" ]; then return 0; fi
	apt_update
	local d=$CACHE/debs-user
	rm -rf "$d" "$SYSROOT" "$TOOLROOT"
	say "downloading s390x libraries, busybox and bpftool"
	download "$d/lib" libbpf-dev libbpf1 libelf-dev libelf1t64 zlib1g-dev zlib1g libzstd-dev libzstd1 busybox-static
	download "$d/tool" bpftool libc6 libcap2 libelf1t64 libssl3t64 zlib1g libzstd1
	for f in "$d"/lib/*.deb; do dpkg -x "$f" "$SYSROOT"; done
	# the libraries the static build embeds, for the .deb's Static-Built-Using
	built_using "$d"/lib/libbpf-dev_*.deb "$d"/lib/libelf-dev_*.deb "$d"/lib/zlib1g-dev_*.deb \
		"$d"/lib/libzstd-dev_*.deb > "$SYSROOT/.built-using"
	for f in "$d"/tool/*.deb; do dpkg -x "$f" "$TOOLROOT"; done
	# merged-/usr packages expect /lib -> usr/lib (base-files makes it on a real system)
	[ -e "$TOOLROOT/lib" ] || ln -s usr/lib "$TOOLROOT/lib"
	[ -e "$SYSROOT/usr/lib/s390x-linux-gnu/libbpf.a" ] || die "libbpf.a missing from the s390x sysroot"
	[ -x "$TOOLROOT/usr/sbin/bpftool" ] || die "bpftool missing from the s390x tool root"
	qemu-s390x-static -L "$TOOLROOT" "$TOOLROOT/usr/sbin/bpftool" version >/dev/null 2>&1 ||
		die "s390x bpftool does not run under qemu-s390x-static"
	touch "$SYSROOT/.complete" "$TOOLROOT/.complete"
	rm -rf "$d"
}

# bpftrace and bpftool with every library they need (resolved from the package metadata), unpacked under
# $BENCHROOT/bt: the bench initramfs carries it as /bt
bench_root() {
	[ -e "$BENCHROOT/.complete" ] && return 0
	apt_update
	local d=$CACHE/debs-bench pkgs
	pkgs=$(apt_cache_s390x depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances bpftrace bpftool | grep -E '^[a-z0-9]' | grep -v '^<' | sort -u)
	rm -rf "$d" "$BENCHROOT"
	say "downloading s390x bpftrace, bpftool and their libraries ($(echo $pkgs | wc -w) packages)"
	download "$d" $pkgs
	mkdir -p "$BENCHROOT/bt"
	for f in "$d"/*.deb; do dpkg -x "$f" "$BENCHROOT/bt"; done
	rm -rf "$d" "$BENCHROOT"/bt/usr/share/{doc,man,locale,info,bash-completion,lintian}
	[ -e "$BENCHROOT/bt/lib" ] || ln -s usr/lib "$BENCHROOT/bt/lib"
	mkdir -p "$BENCHROOT"/bt/{proc,sys,dev,tmp}
	qemu-s390x-static -L "$BENCHROOT/bt" "$BENCHROOT/bt/usr/bin/bpftrace" --version >/dev/null 2>&1 ||
		die "s390x bpftrace does not run under qemu-s390x-static"
	touch "$BENCHROOT/.complete"
}

# newest linux-image-X.Y-s390x meta package with X.Y >= MIN_SERIES
newest_image() {
	apt_cache_s390x pkgnames linux-image- | grep -E '^linux-image-[0-9]+\.[0-9]+-s390x$' |
		sed -E 's/^linux-image-([0-9]+\.[0-9]+)-s390x$/\1/' | sort -V |
		awk -v min="$MIN_SERIES" 'BEGIN{split(min,m,".")} {split($1,v,"."); if (v[1]>m[1] || (v[1]==m[1] && v[2]>=m[2])) last=$1} END{if (last) print last}'
}

# fetch_kernel DIRNAME META: download the packages META depends on (linux-base/binary/modules/image-*),
# unpack them into $KERNELS/DIRNAME with vmlinuz and modules links
fetch_kernel() {
	local name=$1 meta=$2 pkgs ver k=$KERNELS/$1
	apt_update
	# the meta package depends on the real ones; follow its metadata, not file names
	pkgs=$(apt_cache_s390x depends "$meta" | awk '/Depends: linux-(base|binary|modules|image)-/{print $2}' | sort -u)
	[ -n "$pkgs" ] || die "$meta has no kernel packages among its dependencies"
	case $meta in linux-image-[0-9]*) ;; *) # a flavour meta package: one level down
		local img=$pkgs
		pkgs=$(apt_cache_s390x depends $img | awk '/Depends: linux-(base|binary|modules)-/{print $2}' | sort -u)
		pkgs="$img $pkgs" ;;
	esac
	ver=$(apt_cache_s390x policy "$meta" | awk '/Candidate:/{print $2}')
	say "downloading $meta $ver ($(echo $pkgs))"
	rm -rf "$k"; mkdir -p "$k/debs"
	download "$k/debs" $pkgs
	for f in "$k"/debs/*.deb; do dpkg -x "$f" "$k/root"; done
	rm -rf "$k/debs"
	local vmlinuz moddir
	vmlinuz=$(find "$k/root" -name 'vmlinuz*' -type f | head -1)
	moddir=$(find "$k/root" -maxdepth 4 -type d -path '*/lib/modules/*' | head -1)
	[ -n "$vmlinuz" ] && [ -n "$moddir" ] || die "$meta has no vmlinuz or modules"
	ln -sf "$vmlinuz" "$k/vmlinuz"; ln -sfn "$moddir" "$k/modules"
	echo "$ver" > "$k/version"
}

kernel() {
	local want=${ZPCITRACE_KERNEL_SERIES:-}
	if [ -z "$want" ] && [ -e "$KERNELS/current" ]; then
		want=$(cat "$KERNELS/current")
	fi
	if [ -z "$want" ] || [ ! -e "$KERNELS/$want/.complete" ]; then
		use_suites new $SUITES
		apt_update
		[ -n "$want" ] || want=$(newest_image)
		[ -n "$want" ] || die "no linux-image-X.Y-s390x >= $MIN_SERIES in $SUITES"
		fetch_kernel "$want" "linux-image-$want-s390x"
		check_series "$KERNELS/$want" ||
			die "linux-image-$want-s390x $(cat "$KERNELS/$want/version") does not carry the zPCI error-queue series (vfio-pci-core has no zpci_get_pending_error)"
		touch "$KERNELS/$want/.complete"
		echo "$want" > "$KERNELS/current"
	fi
}

# a kernel without the series, to check that zpcitrace degrades
kernel_noseries() {
	local k=$KERNELS/noseries
	[ -e "$k/.complete" ] && return 0
	use_suites backports bookworm-backports
	fetch_kernel noseries linux-image-s390x
	! check_series "$k" || die "the bookworm-backports kernel unexpectedly carries the series"
	touch "$k/.complete"
}

# the series adds zpci_get_pending_error (vmlinux export) and vfio-pci-core calls it
check_series() {
	local ko
	ko=$(find "$1/modules/" -name 'vfio-pci-core.ko*' | head -1)
	[ -n "$ko" ] || return 1
	case $ko in
	*.xz) xz -dc "$ko" ;;
	*.zst) zstd -dc "$ko" ;;
	*) cat "$ko" ;;
	esac | grep -ac zpci_get_pending_error >/dev/null   # not -q: an early exit would SIGPIPE the decompressor
}

SYSBED=$CACHE/sysbed
# what the system bed's guest runs beyond minbase: systemd as init, udev and kmod for the vfio modules, curl and
# Debian's node_exporter for the textfile, sosreport for zpcitrace's sos plugin
SYSBED_PKGS=systemd,systemd-sysv,udev,kmod,curl,ca-certificates,prometheus-node-exporter,sosreport

# s390x binaries run through qemu-user: the kernel's binfmt_misc entry, registered if missing. F: the interpreter
# is opened now, so it works inside chroots that lack it.
binfmt_s390x() {
	local b=/proc/sys/fs/binfmt_misc
	[ -e $b/register ] || mount -t binfmt_misc binfmt_misc $b || die "cannot mount binfmt_misc"
	[ -e $b/qemu-s390x ] && return 0
	printf '%s' ':qemu-s390x:M::\x7fELF\x02\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x16:\xff\xff\xff\xff\xff\xff\xff\xfc\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff:/usr/bin/qemu-s390x-static:F' \
		> $b/register 2>/dev/null || [ -e $b/qemu-s390x ] || die "cannot register qemu-s390x-static with binfmt_misc"
}

sysbed() {
	# made anew when the list of packages changed
	[ -e "$SYSBED/.complete" ] && [ "$(cat "$SYSBED/.packages" 2>/dev/null)" = "$SYSBED_PKGS" ] && return 0
	[ "$(id -u)" = 0 ] || die "the system bed's root needs root (debootstrap, chroot); run 'make deps' as root"
	binfmt_s390x
	local mirror tmp=$SYSBED/root.new
	mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
	rm -rf --one-file-system "$tmp" "$SYSBED/root" "$SYSBED/.complete"
	mkdir -p "$SYSBED"
	say "making the system bed's root: Debian sid s390x with systemd and prometheus-node-exporter (a few minutes)"
	debootstrap --foreign --arch=s390x --variant=minbase --include=$SYSBED_PKGS \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg sid "$tmp" "$mirror" > "$SYSBED/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$SYSBED/debootstrap.log" >&2; die "debootstrap (first stage) failed"; }
	chroot "$tmp" /debootstrap/debootstrap --second-stage >> "$SYSBED/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$SYSBED/debootstrap.log" >&2; die "debootstrap (second stage, under qemu-user) failed"; }
	rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*_Packages
	echo zt-sysbed > "$tmp/etc/hostname"
	# the initramfs mounts the 9p root; nothing more to mount
	: > "$tmp/etc/fstab"
	# no timers that download or scrub while the bed runs
	for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
		ln -sf /dev/null "$tmp/etc/systemd/system/$u"
	done
	chroot "$tmp" dpkg-query -W -f '${Package} ${Version}\n' > "$SYSBED/packages.txt"
	mv "$tmp" "$SYSBED/root"
	echo "$SYSBED_PKGS" > "$SYSBED/.packages"
	touch "$SYSBED/.complete"
}

TEST_KERNELS=$CACHE/test-kernels
TEST_KERNEL_PKGS="make flex bison bc libssl-dev libelf-dev dwarves gcc-s390x-linux-gnu"
test_kernels() {
	local here d
	here=$(cd "$(dirname "$0")/.." && pwd)
	if [ -e "$TEST_KERNELS/vmlinuz-7.3-jit-s390x" ] && [ -e "$TEST_KERNELS/vmlinuz-7.3-v12-s390x" ]; then return 0; fi
	HOST_PKGS=$TEST_KERNEL_PKGS host
	apt_update
	d=$TEST_KERNELS/debs
	[ -n "$(ls "$d"/linux-source-7.3_*.deb 2>/dev/null)" ] || { say "downloading linux-source-7.3"; download "$d" linux-source-7.3; }
	bash "$here/tests/kernels/build.sh" "$(ls "$d"/linux-source-7.3_*.deb | tail -n 1)" "$TEST_KERNELS" >&2
}

print_paths() {
	echo "SYSROOT=$SYSROOT"
	echo "TOOLROOT=$TOOLROOT"
	echo "BENCHROOT=$BENCHROOT"
	if [ -e "$KERNELS/current" ]; then
		local k=$KERNELS/$(cat "$KERNELS/current")
		echo "KERNEL_DIR=$k"
		echo "KERNEL_VERSION=$(cat "$k/version")"
	fi
	[ -e "$KERNELS/noseries/.complete" ] && echo "KERNEL_NOSERIES_DIR=$KERNELS/noseries"
	[ -e "$SYSBED/.complete" ] && echo "SYSBED_ROOT=$SYSBED/root"
	return 0
}

mkdir -p "$CACHE"
case ${1:-all} in
host) host ;;
sysroot) sysroot ;;
kernel) kernel ;;
kernel-noseries) kernel_noseries ;;
bench) bench_root ;;
sysbed) sysbed ;;
test-kernels) test_kernels ;;
all) host; sysroot; kernel; kernel_noseries; sysbed ;;
demo) host; sysroot; kernel ;; # make demo: the packages, the s390x libraries and Debian's 7.3 kernel, nothing more
paths) ;;
*) die "usage: deps.sh [host|sysroot|kernel|kernel-noseries|sysbed|bench|test-kernels|demo|all|paths]" ;;
esac
print_paths
