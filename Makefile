# zpcitrace - see README.md.
#
#   make                 native build: ./zpcitrace (on s390x the real tool; elsewhere it builds and runs too)
#   make ARCH=s390x      static s390x cross build: build/s390x/zpcitrace (BPF object embedded via skeleton)
#   make deps            install host packages, the s390x sysroot and the test-bed kernel
#   make check           unit tests (ASan+UBSan), host CLI tests, e2e tests in the s390x guest
#   make demo            boot the s390x guest, provoke real zPCI errors, trace them live
#   make vmlinux         regenerate vmlinux/s390x/vmlinux.h from the bed kernel's BTF (boots the guest)
#   make test-kernels    build the bed's JIT and v12 test kernels (tests/kernels; ../shared/kernels has them too)

HOST_ARCH := $(shell uname -m)
ARCH ?= $(HOST_ARCH)
ZPCITRACE_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/zpcitrace
export ZPCITRACE_CACHE
SYSROOT := $(ZPCITRACE_CACHE)/sysroot
TOOLROOT := $(ZPCITRACE_CACHE)/toolroot
KERNEL_STAMP := $(ZPCITRACE_CACHE)/kernels/current
kernel_dir = $(ZPCITRACE_CACHE)/kernels/$(shell cat $(KERNEL_STAMP))

CLANG ?= clang
LLVM_STRIP ?= llvm-strip
PYTHON ?= python3
# the packages' version: 0.1.0+git<commits>.<hash> from a checkout (it grows with every commit, so a newer build
# upgrades an older one); a source tarball's build passes VERSION itself (debian/rules, zpcitrace.spec)
PKG_BASE := 0.1.0
PKG_VERSION ?= $(PKG_BASE)+git$(shell git rev-list --count HEAD 2>/dev/null || echo 0).$(shell git rev-parse --short=8 HEAD 2>/dev/null || echo 0)
VERSION ?= $(PKG_VERSION)
DEB := build/deb/zpcitrace_$(PKG_VERSION)_s390x.deb
# the system bed's upgrade: the same commit built again at a higher version
NEXT_VERSION := $(PKG_VERSION).1
DEB_NEXT := build/sysbed/zpcitrace_$(NEXT_VERSION)_s390x.deb
WARN := -Wall -Wextra
# the BPF programs always target s390 kernels; only the byte order follows the machine that loads them
BPF_CFLAGS := -g -O2 -D__TARGET_ARCH_s390 -fms-extensions -Wno-microsoft-anon-tag -Wall -Ivmlinux/s390x -Ibpf

# The distribution's CFLAGS, CPPFLAGS and LDFLAGS (dpkg-buildflags, rpm's optflags) are honoured, after hardening
# defaults of our own (fortified, stack-protected, stack-clash-protected, full RELRO), so that theirs win
CFLAGS ?= -O2 -g
HARDEN_CFLAGS := $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),,-D_FORTIFY_SOURCE=2) \
	-fstack-protector-strong -fstack-clash-protection
HARDEN_LDFLAGS := -Wl,-z,relro -Wl,-z,now

ifeq ($(ARCH),$(HOST_ARCH))
OUT := build/native
BIN := zpcitrace
BPF_TARGET := bpf
BPFTOOL ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
# x86's control-flow protection (CET), where the machine is one
USER_CFLAGS := $(HARDEN_CFLAGS) $(if $(filter x86_64,$(HOST_ARCH)),-fcf-protection) -fPIE $(CPPFLAGS) $(CFLAGS)
LINK_FLAGS := -pie $(HARDEN_LDFLAGS) $(LDFLAGS)
# the link line is pkg-config's: libbpf (its libelf and zlib come with it), and zlib and zstd, used directly (none yet on a
# fresh machine: make demo and make check install it first, then run make again)
LIBS := $(shell pkg-config --libs libbpf zlib libzstd 2>/dev/null)
SYSROOT_DEP :=
else ifeq ($(ARCH),s390x)
OUT := build/s390x
BIN := $(OUT)/zpcitrace
CC := s390x-linux-gnu-gcc
BPF_TARGET := bpfeb
# x86 bpftool refuses big-endian objects: run the s390x one under qemu-user
BPFTOOL := qemu-s390x-static -L $(TOOLROOT) $(TOOLROOT)/usr/sbin/bpftool
BPF_CFLAGS += -I$(SYSROOT)/usr/include
USER_CFLAGS := $(HARDEN_CFLAGS) $(CPPFLAGS) $(CFLAGS) -I$(SYSROOT)/usr/include -DZT_STATIC
# static-pie where the cross C library has its start file (rcrt1.o; Debian 12's s390x one has none): else static
STATIC_LINK := $(if $(wildcard /usr/s390x-linux-gnu/lib/rcrt1.o),-static-pie,-static)
LINK_FLAGS := $(STATIC_LINK) $(HARDEN_LDFLAGS) $(LDFLAGS)
# pkg-config --static of the sysroot: libbpf with its libelf and zlib, and zstd
LIBS = $(shell PKG_CONFIG_SYSROOT_DIR=$(SYSROOT) PKG_CONFIG_LIBDIR=$(SYSROOT)/usr/lib/s390x-linux-gnu/pkgconfig \
	pkg-config --static --libs libbpf zlib libzstd)
EXTRA_OBJS := $(OUT)/glibc_c23_shim.o
SYSROOT_DEP := $(SYSROOT)/.complete
else
$(error ARCH=$(ARCH): build natively, or cross-build with ARCH=s390x)
endif

# everything but the libbpf side: also what the unit tests link
CORE_SRCS := user/atomic.c user/event.c user/event_fields.c user/text.c user/jsonw.c user/ccdf.c user/pec.c user/format.c user/ksyms.c user/hooks.c user/hist.c user/correlate.c user/snapshot.c user/summary.c user/prom.c \
	user/json.c user/capture.c user/captures.c user/perfetto.c user/report.c user/args.c user/status.c user/sink_live.c user/sink_prom.c user/sink_record.c user/flight.c \
	user/startwatch.c user/facts.c user/owner.c user/losslog.c user/service.c
CORE_OBJS := $(patsubst user/%.c,$(OUT)/%.o,$(CORE_SRCS))

.PHONY: all deps check check-run unit facts host-test fuzz bench bench-run e2e demo demo-run vmlinux test-kernels clean \
	deb rpm packages-test rules-test
comma := ,
.DELETE_ON_ERROR:

all: $(BIN)

$(OUT) build/unit build/bed:
	mkdir -p $@

$(SYSROOT)/.complete:
	bash mk/deps.sh sysroot >/dev/null

$(KERNEL_STAMP):
	bash mk/deps.sh kernel >/dev/null

$(OUT)/zpcitrace.bpf.o: bpf/zpcitrace.bpf.c bpf/zt_event.h bpf/submit.h vmlinux/s390x/vmlinux.h | $(OUT) $(SYSROOT_DEP)
	$(CLANG) $(BPF_CFLAGS) -target $(BPF_TARGET) -c $< -o $@
	$(LLVM_STRIP) -g $@

$(OUT)/zpcitrace.skel.h: $(OUT)/zpcitrace.bpf.o
	$(BPFTOOL) gen skeleton $< name zpcitrace_bpf > $@

# the symbol lookup zpcitrace starts with (no CO-RE, no vmlinux.h)
$(OUT)/lookup.bpf.o: bpf/lookup.bpf.c bpf/lookup.h vmlinux/s390x/vmlinux.h | $(OUT) $(SYSROOT_DEP)
	$(CLANG) $(BPF_CFLAGS) -target $(BPF_TARGET) -c $< -o $@
	$(LLVM_STRIP) -g $@

$(OUT)/lookup.skel.h: $(OUT)/lookup.bpf.o
	$(BPFTOOL) gen skeleton $< name lookup_bpf > $@

# header dependencies from the compiler (-MMD): each object is rebuilt when a header it includes changes
DEPFLAGS = -MMD -MP

# the version compiled in: rewritten only when it changes, so a new commit rebuilds zpcitrace.o (the packages'
# version and the binary's agree) and nothing else
$(OUT)/version: FORCE | $(OUT)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@

$(OUT)/zpcitrace.o: user/zpcitrace.c $(OUT)/zpcitrace.skel.h $(OUT)/version
	$(CC) $(WARN) $(USER_CFLAGS) $(DEPFLAGS) -DZT_VERSION='"$(VERSION)"' -Ibpf -Iuser -I$(OUT) -c $< -o $@

$(OUT)/attach.o: user/attach.c $(OUT)/zpcitrace.skel.h $(OUT)/lookup.skel.h
	$(CC) $(WARN) $(USER_CFLAGS) $(DEPFLAGS) -Ibpf -Iuser -I$(OUT) -c $< -o $@

$(OUT)/%.o: user/%.c | $(OUT) $(SYSROOT_DEP)
	$(CC) $(WARN) $(USER_CFLAGS) $(DEPFLAGS) -Ibpf -Iuser -c $< -o $@

$(BIN): $(OUT)/zpcitrace.o $(OUT)/attach.o $(CORE_OBJS) $(EXTRA_OBJS)
	$(CC) $(LINK_FLAGS) $^ $(LIBS) -lm -o $@

# ---- tests ---------------------------------------------------------------------------------------------

SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_TESTS := $(patsubst tests/unit/%.c,build/unit/%,$(wildcard tests/unit/test_*.c))
# the core compiled once under the sanitizers, one archive every unit test links
UNIT_CORE_OBJS := $(patsubst user/%.c,build/unit/core/%.o,$(CORE_SRCS))
UNIT_CORE := build/unit/libcore.a

build/unit/core/%.o: user/%.c
	@mkdir -p $(@D)
	cc $(WARN) -g -O1 $(SAN) $(DEPFLAGS) -Ibpf -Iuser -c $< -o $@

$(UNIT_CORE): $(UNIT_CORE_OBJS)
	rm -f $@
	ar rcs $@ $^

build/unit/test_%: tests/unit/test_%.c $(UNIT_CORE) | build/unit
	cc $(WARN) -g -O1 $(SAN) $(DEPFLAGS) -Ibpf -Iuser $< $(UNIT_CORE) -lcmocka -lz -lzstd -lm -o $@

# the program names the attacher looks up, against the native build's BPF object
build/unit/test_progs: tests/unit/test_progs.c $(UNIT_CORE) build/native/zpcitrace.bpf.o | build/unit
	cc $(WARN) -g -O1 $(SAN) $(DEPFLAGS) -DZT_BPF_OBJ='"build/native/zpcitrace.bpf.o"' -Ibpf -Iuser $< $(UNIT_CORE) \
		-lbpf -lelf -lz -lzstd -lcmocka -lm -o $@

# docs/facts.md from the facts tables, and the man page's PEC table from user/pec.c (test_facts checks both)
facts: build/unit/test_facts
	build/unit/test_facts --write docs/facts.md
	build/unit/test_facts --man docs/zpcitrace.8

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done

FUZZ_RUNS ?= 10000000
FUZZ_MAX_LEN ?= 1100000
FUZZ_SRCS := $(filter-out user/ksyms.c,$(CORE_SRCS))
build/fuzz/fuzz_report: tests/fuzz/fuzz_report.c $(CORE_SRCS)
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(DEPFLAGS) -MF $@.d -Ibpf -Iuser \
		$< $(FUZZ_SRCS) -lz -lzstd -lm -o $@

# 'zpcitrace report' under libFuzzer: FUZZ_RUNS executions from the seed corpus (new inputs stay in build/);
# inputs up to FUZZ_MAX_LEN, beyond the longest line the format allows
fuzz: build/fuzz/fuzz_report
	@mkdir -p build/fuzz/corpus build/fuzz/seeds
	@# seeds too big to commit: a capture with a line just over the trailer's limit, and one just under an event's
	@$(PYTHON) tests/host/mkcapture.py build/fuzz/seeds/long-trailer.jsonl longline 1049000
	@$(PYTHON) tests/host/mkcapture.py build/fuzz/seeds/long-event.jsonl longline 4000
	@# its last lines (the stats, or the crash and where its input went), and its exit status: a crash fails
	build/fuzz/fuzz_report -runs=$(FUZZ_RUNS) -max_len=$(FUZZ_MAX_LEN) -rss_limit_mb=2048 -print_final_stats=1 \
		build/fuzz/corpus tests/fuzz/corpus build/fuzz/seeds > build/fuzz/last.log 2>&1; \
		rc=$$?; tail -n 14 build/fuzz/last.log; exit $$rc

host-test: all build/s390x/zpcitrace
	$(PYTHON) tests/host/shape.py
	bash tests/host/cli.sh ./$(BIN) build/s390x/zpcitrace

S390_VMM := build/s390x/zpci_vmm
# the beds: Debian's kernel with the series (no JIT: kprobes), the same series built with the JIT
# (tests/kernels: fentry/fexit, vfio built in), that kernel with the seed's v12 uAPI (v12-shape.patch), and Debian's
# 6.12 without the series.
# The test kernels come from ../shared/kernels, an optional neighbouring checkout that holds them prebuilt (CI
# has it), or from 'make test-kernels'; a bed whose kernel is in neither is skipped, in one line (CI: an error).
BED_INITRD := build/bed/base.cpio.gz
SHARED_KERNELS := ../shared/kernels
TEST_KERNEL_DIRS := $(SHARED_KERNELS) $(ZPCITRACE_CACHE)/test-kernels
JIT_KERNEL ?= $(firstword $(wildcard $(addsuffix /vmlinuz-7.3-jit-s390x,$(TEST_KERNEL_DIRS))))
V12_KERNEL ?= $(firstword $(wildcard $(addsuffix /vmlinuz-7.3-v12-s390x,$(TEST_KERNEL_DIRS))))
# both test kernels have vfio built in and no modules: one initramfs
JIT_INITRD := build/bed/base-jit.cpio.gz
NOSERIES_DIR := $(ZPCITRACE_CACHE)/kernels/noseries
NOSERIES_INITRD := build/bed/base-noseries.cpio.gz
BED_BINS := build/s390x/zpcitrace $(S390_VMM)
BED_DEPS := $(BED_BINS) tests/e2e/guest/init tests/e2e/bed.py $(SYSROOT)/.complete
BUSYBOX := $(SYSROOT)/usr/bin/busybox

$(S390_VMM): tests/e2e/guest/zpci_vmm.c
	@mkdir -p $(@D)
	s390x-linux-gnu-gcc $(WARN) -O2 -static $< -o $@

ifneq ($(ARCH),s390x)
# the static s390x tool, built by a make run of its own (ARCH decides the toolchain)
build/s390x/zpcitrace: FORCE
	@$(MAKE) --no-print-directory ARCH=s390x
endif

.PHONY: FORCE
FORCE:

$(BED_INITRD): $(BED_DEPS) $(KERNEL_STAMP) | build/bed
	$(PYTHON) tests/e2e/bed.py initrd --kernel-dir $(kernel_dir) --busybox $(BUSYBOX) \
		$(addprefix --bin ,$(BED_BINS)) --out $@

$(JIT_INITRD): $(BED_DEPS) | build/bed
	$(PYTHON) tests/e2e/bed.py initrd --busybox $(BUSYBOX) $(addprefix --bin ,$(BED_BINS)) --out $@

$(NOSERIES_DIR)/.complete:
	bash mk/deps.sh kernel-noseries >/dev/null

$(NOSERIES_INITRD): $(BED_DEPS) $(NOSERIES_DIR)/.complete | build/bed
	$(PYTHON) tests/e2e/bed.py initrd --kernel-dir $(NOSERIES_DIR) --busybox $(BUSYBOX) \
		$(addprefix --bin ,$(BED_BINS)) --out $@

E2E_ARGS ?=
NO_TEST_KERNEL_BEDS := $(if $(JIT_KERNEL),,jit-7.3) $(if $(V12_KERNEL),,v12-7.3)
MISSING_TEST_KERNELS := $(if $(JIT_KERNEL),,vmlinuz-7.3-jit-s390x) $(if $(V12_KERNEL),,vmlinuz-7.3-v12-s390x)
# the system bed (tests/e2e/system.py): the cached Debian sid root, an initramfs that mounts it over 9p, the .deb
# and a newer build of it (the same commit at a higher version: the upgrade)
SYSBED_STAMP := $(ZPCITRACE_CACHE)/sysbed/.complete
SYSTEM_INITRD := build/bed/system.cpio.gz

$(SYSBED_STAMP):
	bash mk/deps.sh sysbed >/dev/null

$(SYSTEM_INITRD): tests/e2e/guest/init-9p tests/e2e/bed.py $(KERNEL_STAMP) $(SYSROOT)/.complete | build/bed
	$(PYTHON) tests/e2e/bed.py initrd --system --kernel-dir $(kernel_dir) --busybox $(BUSYBOX) --out $@

SYSTEM_DEPS := $(SYSBED_STAMP) $(SYSTEM_INITRD) $(DEB) $(DEB_NEXT) $(S390_VMM) zpcitrace

e2e: $(BED_INITRD) $(if $(JIT_KERNEL)$(V12_KERNEL),$(JIT_INITRD)) $(NOSERIES_INITRD) $(SYSTEM_DEPS)
	$(if $(and $(CI),$(strip $(NO_TEST_KERNEL_BEDS))),$(error CI runs every bed: no $(strip $(MISSING_TEST_KERNELS)) in $(TEST_KERNEL_DIRS)))
	$(if $(strip $(NO_TEST_KERNEL_BEDS)),@echo "e2e: skipping the beds $(strip $(NO_TEST_KERNEL_BEDS)): no \
		$(strip $(MISSING_TEST_KERNELS)) in $(TEST_KERNEL_DIRS); 'make test-kernels' builds it (about an hour, once)")
	$(PYTHON) tests/e2e/e2e.py --out build/e2e $(E2E_ARGS) \
		--bed debian-7.3=$(kernel_dir)/vmlinuz,$(BED_INITRD) \
		$(if $(JIT_KERNEL),--bed jit-7.3=$(JIT_KERNEL)$(comma)$(JIT_INITRD)) \
		$(if $(V12_KERNEL),--bed v12-7.3=$(V12_KERNEL)$(comma)$(JIT_INITRD)) \
		$(addprefix --skip-bed ,$(NO_TEST_KERNEL_BEDS)) \
		--bed debian-6.12=$(NOSERIES_DIR)/vmlinuz,$(NOSERIES_INITRD) \
		--bed system-7.3=$(kernel_dir)/vmlinuz,$(SYSTEM_INITRD) --system-root $(dir $(SYSBED_STAMP))root \
		--system-modules $(kernel_dir)/modules --deb $(DEB) --deb-next $(DEB_NEXT) --vmm $(S390_VMM) --zpcitrace ./zpcitrace

# the bed's test kernels from Debian's linux-source-7.3 (tests/kernels/README.md): about an hour, once
test-kernels:
	bash mk/deps.sh test-kernels >/dev/null

# ---- packages (make deb, make rpm; README "Install") ----------------------------------------------------

PKG_FILES := debian/control debian/rules debian/changelog debian/copyright debian/zpcitrace.postrm \
	debian/zpcitrace.docs debian/zpcitrace.manpages debian/zpcitrace.lintian-overrides packaging/zpcitrace.default $(wildcard packaging/systemd/*.service) \
	$(wildcard packaging/mixin/*.yaml) packaging/mixin/dashboards_out/zpcitrace.json packaging/zpcitrace.bash-completion docs/zpcitrace.8 docs/runbook.md \
	docs/prometheus.md README.md COPYING packaging/sos/zpcitrace.py packaging/sos/extras.d-zpcitrace \
	packaging/supportconfig/zpcitrace

deb: $(DEB)

# debhelper's own sequence (dh_installsystemd, dh_installdeb, ...) for the host architecture s390x: the static
# cross build, packaged as a native s390x build would be
# $(call debian_binary,VERSION,OUT): the package of the cross build in OUT (built there at VERSION), into $(@D)
define debian_binary
	@mkdir -p $(@D)
	rm -rf debian/zpcitrace debian/.debhelper debian/debhelper-build-stamp debian/files debian/*.substvars
	ZT_PKG_VERSION=$(1) ZT_OUT=$(2) ZT_DEB_DIR=$(CURDIR)/$(@D) DEB_BUILD_OPTIONS=nocheck \
		ZT_STATIC_BUILT_USING="$$(cat $(SYSROOT)/.built-using)" \
		dpkg-architecture -a s390x -f -c debian/rules binary
	rm -rf debian/zpcitrace debian/.debhelper debian/debhelper-build-stamp debian/files debian/*.substvars
endef

$(DEB): build/s390x/zpcitrace $(PKG_FILES)
	$(call debian_binary,$(PKG_VERSION),build/s390x)

# the system bed's upgrade: a newer build, compiled anew at NEXT_VERSION (after $(DEB): one debian/ at a time)
$(DEB_NEXT): $(DEB)
	$(call debian_binary,$(NEXT_VERSION),build/sysbed/s390x-next)

# the source tarball (git archive): what zpcitrace.spec builds from natively (rpmbuild -tb)
TARBALL := build/rpm/SOURCES/zpcitrace-$(PKG_VERSION).tar.gz
RPM := build/rpm/RPMS/s390x/zpcitrace-$(PKG_VERSION)-1.s390x.rpm

$(TARBALL): $(PKG_FILES) zpcitrace.spec
	@mkdir -p $(@D)
	git archive --format=tar.gz --prefix=zpcitrace-$(PKG_VERSION)/ -o $@ HEAD

rpm: $(RPM)

# the spec's native build is for s390x RHEL/SLES (its BuildRequires); here it packages the cross build
# (--with prebuilt), and rpmbuild checks no BuildRequires against this Debian host's empty rpm database
$(RPM): build/s390x/zpcitrace $(TARBALL) zpcitrace.spec
	rpmbuild -bb --quiet --target s390x --nodeps --with prebuilt --define "_topdir $(CURDIR)/build/rpm" \
		--define "__strip s390x-linux-gnu-strip" --define "__objdump s390x-linux-gnu-objdump" \
		--define "__brp_compress bash /usr/lib/rpm/brp-compress /usr" \
		--define "zt_pkg_version $(PKG_VERSION)" --define "zt_prebuilt $(CURDIR)/build/s390x/zpcitrace" \
		--define "python3_sitelib /usr/lib/python3.9/site-packages" zpcitrace.spec

# lintian, rpmlint, contents, scripts, an rpm --root install (tests/host/packages.sh)
packages-test: $(DEB) $(RPM) zpcitrace
	bash tests/host/packages.sh $(DEB) $(RPM) ./zpcitrace

# the mixin (docs/prometheus.md, docs/runbook.md): the rules valid, each alert fires and stays quiet, the
# quantiles right; the dashboard's JSON what packaging/mixin/dashboard.py makes (e2e alerts runs its queries)
rules-test:
	promtool check rules packaging/mixin/prometheus_alerts.yaml packaging/mixin/prometheus_rules.yaml
	$(PYTHON) packaging/mixin/dashboard.py --check
	promtool test rules tests/prom/zpcitrace.rules.test.yml

# ---- benchmarks (make bench; figures and ratios, docs/performance.md) ------------------------------------

build/bench/storm.bpf.o: tests/bench/storm.bpf.c tests/bench/storm.h bpf/zt_event.h bpf/submit.h
	@mkdir -p $(@D)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Ibpf -Itests/bench -I/usr/include/$(shell gcc -print-multiarch) -c $< -o $@
	$(LLVM_STRIP) -g $@

build/bench/storm.skel.h: build/bench/storm.bpf.o
	bpftool gen skeleton $< name storm_bpf > $@

# the storm runs the loader's own correlator and capture writer: the core, compiled as 'make' does
BENCH_SRCS := $(CORE_SRCS)
build/bench/storm: tests/bench/storm.c build/bench/storm.skel.h $(BENCH_SRCS)
	cc $(WARN) -O2 -g $(DEPFLAGS) -MF $@.d -Ibpf -Iuser -Ibuild/bench -Itests/bench $< $(BENCH_SRCS) -lbpf -lelf -lz -lzstd -lpthread -lm -o $@

# the minimal libbpf loader of zpcitrace's own object, the start-up's floor: static s390x, as zpcitrace is
MINLOAD := build/s390x/minload
$(MINLOAD): tests/bench/minload.c build/s390x/zpcitrace
	s390x-linux-gnu-gcc $(WARN) -O2 -g -static -I$(SYSROOT)/usr/include -Ibuild/s390x -Ibpf $< \
		build/s390x/glibc_c23_shim.o -L$(SYSROOT)/usr/lib/s390x-linux-gnu -lbpf -lelf -lz -lzstd -o $@

# Debian's 7.3 bed with the minimal loader, for the start-up and module attach comparison
BENCH_INITRD := build/bench/base.cpio.gz
$(BENCH_INITRD): $(BED_DEPS) $(MINLOAD) $(KERNEL_STAMP)
	@mkdir -p $(@D)
	$(PYTHON) tests/e2e/bed.py initrd --kernel-dir $(kernel_dir) --busybox $(BUSYBOX) \
		$(addprefix --bin ,$(BED_BINS) $(MINLOAD)) --out $@

# the JIT bed with Debian's s390x bpftrace and bpftool (mk/deps.sh bench) at /bt, for the per-hook comparison,
# and the minimal loader
BENCHROOT := $(ZPCITRACE_CACHE)/benchroot
BPFTRACE_INITRD := build/bench/base-jit-bpftrace.cpio.gz
$(BENCHROOT)/.complete:
	bash mk/deps.sh bench >/dev/null

$(BPFTRACE_INITRD): $(BED_DEPS) $(MINLOAD) tests/bench/zpcitrace.bt $(BENCHROOT)/.complete
	@mkdir -p $(@D)
	$(PYTHON) tests/e2e/bed.py initrd --busybox $(BUSYBOX) $(addprefix --bin ,$(BED_BINS) $(MINLOAD)) \
		--bin tests/bench/zpcitrace.bt --tree $(BENCHROOT) --out $@

bench: deps
	$(MAKE) --no-print-directory bench-run

bench-run: all build/bench/storm $(BENCH_INITRD) $(BPFTRACE_INITRD)
	$(PYTHON) tests/bench/bench.py --zpcitrace ./$(BIN) --storm build/bench/storm --out build/bench \
		--kernel-dir $(kernel_dir) --initrd $(BENCH_INITRD) --jit-kernel $(JIT_KERNEL) --bpftrace-initrd $(BPFTRACE_INITRD)

# deps.sh keeps a stamp per part and checks the host packages with dpkg-query: when all is there it takes
# about 0.3 s and prints nothing
deps:
	@bash mk/deps.sh all >/dev/null

check: deps
	$(MAKE) --no-print-directory check-run

# a short fuzzing pass as a regression test ('make fuzz' runs the full 10 million); the e2e tests last, so
# that their "N passed, N failed" closes the output
check-run: unit host-test packages-test rules-test
	$(MAKE) --no-print-directory fuzz FUZZ_RUNS=300000
	$(MAKE) --no-print-directory e2e

# the demo installs and builds only what it needs: no system bed, no second kernel
demo:
	@bash mk/deps.sh demo >/dev/null
	$(MAKE) --no-print-directory demo-run

# probe, one error of each PEC read at once, an overflow (6 errors, 4 fit), a lost read, a close with one queued
DEMO_VMM := open probe get sleep-800 error sleep-800 drain sleep-800 error-low drain sleep-800 \
	error error error error error error sleep-800 drain sleep-800 error error get badget sleep-800 error close

demo-run:
	@echo "== building zpcitrace for s390x, the guest VMM program and the initramfs"
	@$(MAKE) --no-print-directory $(BED_INITRD)
	@echo "== booting Debian's s390x kernel $$(cat $(kernel_dir)/version) under qemu-system-s390x (TCG)"
	@echo "== the guest VMM provokes real zPCI errors (PEC 0x0004 and 0x0002), overflows the queue, loses one read"
	@echo "   and closes with one error queued; zpcitrace traces it all live"
	@$(PYTHON) tests/e2e/bed.py run --live --kernel-dir $(kernel_dir) --initrd $(BED_INITRD) --out build/demo \
		--conf 'ZT_TRACE="-T"' --conf ZT_LIVE=1 \
		--conf 'ZT_VMM="$(DEMO_VMM)"'
	@echo "== the summary zpcitrace printed when it stopped: the books (every error in one bucket) and the waits"
	@sed -n '/^zpcitrace: summary/,$$p' build/demo/out/trace.err | grep -v '^libbpf: '
	@echo "== done: console log in build/demo/console.log, guest results in build/demo/out/"

vmlinux: $(KERNEL_STAMP) $(SYSROOT)/.complete
	$(PYTHON) tests/e2e/bed.py initrd --kernel-dir $(kernel_dir) --busybox $(SYSROOT)/usr/bin/busybox --out build/bed/probe.cpio.gz
	$(PYTHON) tests/e2e/bed.py run --kernel-dir $(kernel_dir) --initrd build/bed/probe.cpio.gz --out build/probe --conf ZT_STEP=probe
	$(BPFTOOL) btf dump file build/probe/out/vfio_pci_core.btf --base-btf build/probe/out/vmlinux.btf format c > vmlinux/s390x/vmlinux.h
	@echo "vmlinux/s390x/vmlinux.h regenerated from $$(cat build/probe/out/uname.txt)"

clean:
	rm -rf build zpcitrace

-include $(wildcard $(OUT)/*.d build/unit/*.d build/unit/core/*.d build/fuzz/*.d build/bench/*.d)
