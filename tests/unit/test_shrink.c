// SPDX-License-Identifier: GPL-2.0
/* A capture cut while report reads it (the recorder's own cut on ENOSPC, truncate, logrotate's copytruncate):
 * the reader survives, reads what was there, and says so. The cut is made at the exact moment the reader takes
 * the file's contents: this test's read() and mmap() stand in for libc's, cut the capture, and carry on. A
 * reader that maps the file dies of SIGBUS here. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>
#include "capture.h"

static const char *cut_path; /* the capture to cut at its first read or map, to cut_to bytes */
static off_t cut_to;

static void cut_if_capture(int fd)
{
	struct stat a, b;

	if (cut_path && !fstat(fd, &a) && !stat(cut_path, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
		if (truncate(cut_path, cut_to))
			abort();
		cut_path = NULL;
	}
}

ssize_t read(int fd, void *buf, size_t n)
{
	cut_if_capture(fd);
	return syscall(SYS_read, fd, buf, n);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);

	if (fd >= 0)
		cut_if_capture(fd);
	if ((unsigned long)p > -4096UL) {
		errno = -(int)(long)p;
		return MAP_FAILED;
	}
	return p;
}

static void test_cut_while_read(void **state)
{
	char dir[] = "/tmp/zt-shrink-XXXXXX", path[128], why[4200], err[256];
	struct zt_run m = { .hostname = "h", .zpcitrace = "test" };
	struct zt_capture_writer w;
	struct zt_capture c;
	struct stat st;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cap.jsonl", dir);
	assert_int_equal(zt_capture_writer_open(&w, path, why, sizeof(why)), 0);
	zt_capture_writer_header(&w, &m, 0);
	for (int i = 0; i < 4000; i++) { /* a few pages of lines */
		struct zt_event e = { .type = ZT_EV_ARRIVAL, .ts_ns = 1000 + (uint64_t)i, .has_fn = 1, .fid = 1 };

		zt_capture_writer_event(&w, &e, 0);
	}
	assert_int_equal(zt_capture_writer_close(&w), 0);
	assert_int_equal(stat(path, &st), 0);
	cut_path = path;
	cut_to = st.st_size / 3;
	assert_int_equal(zt_capture_read(path, &c, err, sizeof(err)), 0);
	assert_null(cut_path); /* the cut happened while it was read */
	assert_true(c.gaps.shrank);
	assert_true(zt_capture_gaps_damaged(&c.gaps));
	assert_true(c.nevents > 0 && c.nevents < 4000);
	zt_capture_free(&c);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_while_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
