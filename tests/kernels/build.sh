#!/bin/bash
# build.sh SRC_DEB OUT - build the bed's test kernels from Debian's linux-source-7.3 package (SRC_DEB) into OUT:
#   vmlinuz-7.3-jit-s390x  config-7.3-jit-s390x: the BPF JIT (MARCH_Z13), BTF, kprobes and fprobe, vfio-pci with
#                          the zPCI error queue and virtio built in, no modules. fentry/fexit load here.
#   vmlinuz-7.3-v12-s390x  the same with v12-shape.patch: the seed's v12 5/7 uAPI (feature 12, the dequeue inline).
# About half an hour each on 2 cores. Needs gcc-s390x-linux-gnu, flex, bison, bc, libssl-dev, libelf-dev, dwarves
# (mk/deps.sh test-kernels installs them and fetches the package). Work files stay in OUT/work.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DEB=$(readlink -f "$1")
OUT=$(mkdir -p "$2" && cd "$2" && pwd)
W=$OUT/work
S=$W/src/linux-source-7.3
export ARCH=s390 CROSS_COMPILE=s390x-linux-gnu-

if [ ! -d "$S" ]; then
	rm -rf "$W/src" "$W/pkg"
	dpkg-deb -x "$DEB" "$W/pkg"
	mkdir -p "$W/src"
	tar -C "$W/src" -xf "$W"/pkg/usr/src/linux-source-7.3.tar.*
fi

# build NAME: the committed config, completed for this source by olddefconfig, then bzImage
build() {
	local kb=$W/out-$1
	mkdir -p "$kb"
	cp "$HERE/config-7.3-jit-s390x" "$kb/.config"
	make -s -C "$S" O="$kb" olddefconfig
	grep -qx 'CONFIG_BPF_JIT=y' "$kb/.config" && grep -qx 'CONFIG_VFIO_PCI_ZDEV_KVM=y' "$kb/.config" ||
		{ echo "build.sh: the config lost BPF_JIT or VFIO_PCI_ZDEV_KVM on this source" >&2; exit 1; }
	echo "build.sh: building vmlinuz-$1 (about half an hour on 2 cores)" >&2
	nice -n 19 make -s -C "$S" O="$kb" -j"$(nproc)" bzImage
	cp "$kb/arch/s390/boot/bzImage" "$OUT/vmlinuz-$1.tmp"
	mv "$OUT/vmlinuz-$1.tmp" "$OUT/vmlinuz-$1"
}

[ -e "$OUT/vmlinuz-7.3-jit-s390x" ] || build 7.3-jit-s390x
if [ ! -e "$OUT/vmlinuz-7.3-v12-s390x" ]; then
	(cd "$S" && patch -s -p1 --forward < "$HERE/v12-shape.patch")
	build 7.3-v12-s390x
	(cd "$S" && patch -s -p1 -R < "$HERE/v12-shape.patch")
fi
ls -l "$OUT"/vmlinuz-7.3-*-s390x
