// SPDX-License-Identifier: GPL-2.0
/* The owner of a function: libvirt's domain from QEMU's arguments and from its systemd scope, the process that
 * holds a function's vfio device, read from a /proc and a /sys laid out as the kernel lays them out. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "owner.h"

static char root[] = "/tmp/zt-owner-XXXXXX";
static char proc[128], sys[128];

static void put(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void mkdirf(const char *fmt, ...)
{
	char path[512], cmd[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
}

/* a process: its cmdline (len bytes, NULs inside), cgroup, exe, and the files its fds point to */
static void process(int pid, const char *cmdline, size_t len, const char *cgroup, const char *exe, const char *fd3)
{
	char path[512];

	mkdirf("%s/%d/fd", proc, pid);
	snprintf(path, sizeof(path), "%s/%d/cmdline", proc, pid);
	put(path, cmdline, len);
	snprintf(path, sizeof(path), "%s/%d/cgroup", proc, pid);
	put(path, cgroup, strlen(cgroup));
	snprintf(path, sizeof(path), "%s/%d/comm", proc, pid);
	put(path, "qemu-system-s39\n", 16);
	snprintf(path, sizeof(path), "%s/%d/exe", proc, pid);
	assert_int_equal(symlink(exe, path), 0);
	snprintf(path, sizeof(path), "%s/%d/fd/0", proc, pid);
	assert_int_equal(symlink("/dev/null", path), 0);
	if (fd3) {
		snprintf(path, sizeof(path), "%s/%d/fd/3", proc, pid);
		assert_int_equal(symlink(fd3, path), 0);
	}
}

static int setup(void **state)
{
	static const char argv_guest[] = "/usr/bin/qemu-system-s390x\0-name\0guest=db,,1,debug-threads=on\0-S";
	static const char argv_none[] = "/usr/bin/qemu-system-s390x\0-machine\0s390-ccw-virtio";
	char path[512];
	(void)state;

	assert_non_null(mkdtemp(root));
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	/* function 0001:00:00.0 in IOMMU group 7 (the legacy interface); 0002:00:00.0 with the cdev vfio3 */
	mkdirf("%s/bus/pci/devices/0001:00:00.0", sys);
	mkdirf("%s/kernel/iommu_groups/7", sys);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0001:00:00.0/iommu_group", sys);
	assert_int_equal(symlink("../../../../kernel/iommu_groups/7", path), 0);
	mkdirf("%s/bus/pci/devices/0002:00:00.0/vfio-dev/vfio3", sys);
	process(4242, argv_guest, sizeof(argv_guest), "0::/machine.slice/machine-qemu\\x2d3\\x2dother.scope/libvirt\n",
		"/usr/bin/qemu-system-s390x", "/dev/vfio/7");
	process(5151, argv_none, sizeof(argv_none),
		"0::/machine.slice/machine-qemu\\x2d12\\x2dweb\\x2dfront.scope/libvirt/vcpu0\n",
		"/usr/bin/qemu-system-s390x (deleted)", "/dev/vfio/devices/vfio3");
	process(6000, argv_none, sizeof(argv_none), "0::/user.slice\n", "/usr/bin/bash", NULL);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static void test_domain_from_argv(void **state)
{
	static const char old[] = "qemu\0-name\0legacy\0-m\0512";
	static const char process_only[] = "qemu\0-name\0process=x\0";
	static const char last[] = "qemu\0-name";
	char name[64];
	(void)state;

	assert_int_equal(zt_owner_domain_from_argv(old, sizeof(old), name, sizeof(name)), 0);
	assert_string_equal(name, "legacy");
	assert_int_equal(zt_owner_domain_from_argv(process_only, sizeof(process_only), name, sizeof(name)), -1);
	assert_int_equal(zt_owner_domain_from_argv(last, sizeof(last), name, sizeof(name)), -1);
}

static void test_domain_from_cgroup(void **state)
{
	char name[64];
	(void)state;

	assert_int_equal(zt_owner_domain_from_cgroup("0::/machine.slice/machine-qemu\\x2d1\\x2dalpha.scope\n", name,
						     sizeof(name)), 0);
	assert_string_equal(name, "alpha");
	assert_int_equal(zt_owner_domain_from_cgroup("0::/machine.slice/machine-lxc\\x2d1\\x2dbox.scope\n", name,
						     sizeof(name)), -1);
	assert_int_equal(zt_owner_domain_from_cgroup("0::/system.slice/qemu.service\n", name, sizeof(name)), -1);
}

/* the opener as an open event names it: the argument beats the scope, ",," is a comma */
static void test_read_prefers_argv(void **state)
{
	struct zt_owner o;
	(void)state;

	zt_owner_read(proc, 4242, "qemu-system-s39", &o);
	assert_int_equal(o.pid, 4242);
	assert_string_equal(o.comm, "qemu-system-s39");
	assert_string_equal(o.exe, "/usr/bin/qemu-system-s390x");
	assert_string_equal(o.domain, "db,1");
	/* without -name, the scope; without a comm, /proc's */
	zt_owner_read(proc, 5151, NULL, &o);
	assert_string_equal(o.domain, "web-front");
	assert_string_equal(o.comm, "qemu-system-s39");
	/* neither: no domain; a process gone: pid and comm only */
	zt_owner_read(proc, 6000, "bash", &o);
	assert_string_equal(o.domain, "");
	zt_owner_read(proc, 7777, "gone", &o);
	assert_int_equal(o.pid, 7777);
	assert_string_equal(o.exe, "");
}

static void test_find_the_holder(void **state)
{
	struct zt_vfio_holders h = { 0 };
	struct zt_owner o;
	(void)state;

	/* one walk of /proc: the vfio files held, the lowest pid of each */
	assert_int_equal(zt_vfio_holders_scan(proc, &h), 0);
	assert_int_equal(h.n, 2);
	assert_int_equal(zt_owner_find(proc, sys, &h, "0001:00:00.0", &o), 0);
	assert_int_equal(o.pid, 4242);
	assert_string_equal(o.domain, "db,1");
	assert_int_equal(zt_owner_find(proc, sys, &h, "0002:00:00.0", &o), 0);
	assert_int_equal(o.pid, 5151);
	assert_string_equal(o.exe, "/usr/bin/qemu-system-s390x (deleted)");
	/* a function nobody holds, and one sysfs does not know */
	mkdirf("%s/bus/pci/devices/0003:00:00.0/vfio-dev/vfio9", sys);
	assert_int_equal(zt_owner_find(proc, sys, &h, "0003:00:00.0", &o), -1);
	assert_int_equal(zt_owner_find(proc, sys, &h, "0009:00:00.0", &o), -1);
	/* a second holder of the group (libvirt hands QEMU the fd it opened): the lower pid is the owner */
	char path[512];
	snprintf(path, sizeof(path), "%s/6000/fd/4", proc);
	assert_int_equal(symlink("/dev/vfio/7", path), 0);
	assert_int_equal(zt_vfio_holders_scan(proc, &h), 0);
	assert_int_equal(zt_owner_find(proc, sys, &h, "0001:00:00.0", &o), 0);
	assert_int_equal(o.pid, 4242);
	zt_vfio_holders_free(&h);
}

static void test_text_escapes(void **state)
{
	struct zt_owner o = { .pid = 1, .comm = "a\x1b[2Jb", .exe = "/x", .domain = "d\n" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	(void)state;

	zt_owner_text(&o, "owner: ", f);
	zt_owner_text(NULL, "owner: ", f);
	fclose(f);
	assert_non_null(strstr(buf, "owner: pid 1, a\\x1b[2Jb (/x), libvirt domain d\\x0a\n"));
	assert_non_null(strstr(buf, "owner: not known"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain_from_argv),  cmocka_unit_test(test_domain_from_cgroup),
		cmocka_unit_test(test_read_prefers_argv), cmocka_unit_test(test_find_the_holder),
		cmocka_unit_test(test_text_escapes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
