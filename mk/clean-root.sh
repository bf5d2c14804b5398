#!/bin/bash
# clean-root.sh COMMAND... - run COMMAND in a fresh clone of this repository inside a clean Debian 12 root, as a new
# user's machine would be: debootstrap minbase with git and make and nothing else, the host's apt settings
# (/etc/apt/apt.conf.d, so the mirror's rules match), /proc, /sys and /dev bound in, ../shared beside the clone.
#
# Only the bare root is cached (a tarball under $ZPCITRACE_CACHE/clean-root); every run unpacks it anew, so the
# packages the project installs are never cached: a missing install step fails here. The project's download
# cache ($ZPCITRACE_CACHE) is bound in at the same path. Needs root (debootstrap, chroot, mounts).
set -euo pipefail

CACHE=${ZPCITRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zpcitrace}
SUITE=bookworm
BARE=$CACHE/clean-root/$SUITE-minbase.tar
top=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)

say() { echo "clean-root: $*" >&2; }
[ "$(id -u)" = 0 ] || { say "error: needs root (debootstrap, chroot, bind mounts)"; exit 1; }
[ $# -gt 0 ] || { say "usage: clean-root.sh COMMAND..."; exit 2; }

mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

if [ ! -s "$BARE" ]; then
	command -v debootstrap >/dev/null || {
		say "installing debootstrap"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
	}
	say "making the bare $SUITE root (debootstrap minbase, git, make)"
	tmp=$(mktemp -d)
	debootstrap --variant=minbase --include=git,make "$SUITE" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
		{ tail -20 "$tmp/debootstrap.log" >&2; say "error: debootstrap failed"; exit 1; }
	rm -rf "$tmp"/root/var/cache/apt/archives/*.deb
	mkdir -p "$(dirname "$BARE")"
	tar -C "$tmp/root" -cf "$BARE.tmp" . && mv "$BARE.tmp" "$BARE"
	rm -rf "$tmp"
fi

work=$(mktemp -d /var/tmp/zpcitrace-clean-root.XXXXXX)
cleanup() { rm -rf --one-file-system "$work"; }
trap cleanup EXIT
root=$work/root
mkdir -p "$root"
tar -C "$root" -xf "$BARE"
cp -a /etc/apt/apt.conf.d/. "$root/etc/apt/apt.conf.d/"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
mkdir -p "$root/ci" "$CACHE" "$root$CACHE"
git clone -q --no-local "$top" "$root/ci/zpcitrace"
git -C "$root/ci/zpcitrace" checkout -q "$(git -C "$top" rev-parse HEAD)"
[ -d "$top/../shared" ] && cp -a "$top/../shared" "$root/ci/shared"

say "running '$*' in a fresh clone in the clean $SUITE root ($root)"
# a private mount namespace: the bind mounts go away with it, whatever happens inside
unshare --mount --propagation private bash -c '
	set -e
	root=$1 cache=$2; shift 2
	mount --rbind /proc "$root/proc"
	mount --rbind /sys "$root/sys"
	mount --rbind /dev "$root/dev"
	mount --bind "$cache" "$root$cache" # at the same path: the cache holds absolute links
	exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		TERM=dumb CI="${CI:-}" LANG=C.UTF-8 ZPCITRACE_CACHE="$cache" bash -c "cd /ci/zpcitrace && exec \"\$@\"" run "$@"
' clean-root "$root" "$CACHE" "$@"
