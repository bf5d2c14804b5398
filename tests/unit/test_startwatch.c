// SPDX-License-Identifier: GPL-2.0
/* The start watchdog: a slow start says what it is doing, the stage it is in now; once over, it says nothing
 * more and its process is gone. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "startwatch.h"

/* stderr into a pipe for the test's length; returns its read end */
static int capture_stderr(int *saved)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	*saved = dup(STDERR_FILENO);
	assert_true(*saved >= 0);
	assert_int_equal(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	close(p[1]);
	return p[0];
}

static void restore_stderr(int saved)
{
	dup2(saved, STDERR_FILENO);
	close(saved);
}

/* one line from fd, waiting for it however long a busy machine takes (up to a minute) */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 60000) != 1 || read(fd, buf + n, 1) != 1)
			return -1;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return (int)n;
}

static void test_says_the_stage_now(void **state)
{
	char line[256];
	int saved, fd;

	(void)state;
	fd = capture_stderr(&saved);
	assert_int_equal(zt_startwatch_begin("zt-test", 1), 0);
	zt_startwatch_stage("loading and verifying the BPF programs for vmlinux");
	assert_true(read_line(fd, line, sizeof(line)) > 0);
	zt_startwatch_end();
	restore_stderr(saved);
	assert_true(strncmp(line, "zt-test: still starting after ", 30) == 0);
	assert_non_null(strstr(line, " s: loading and verifying the BPF programs for vmlinux\n"));
	close(fd);
}

static void test_over_means_silent_and_gone(void **state)
{
	char buf[64];
	int saved, fd;

	(void)state;
	fd = capture_stderr(&saved);
	assert_int_equal(zt_startwatch_begin("zt-test", 1), 0);
	zt_startwatch_end();
	restore_stderr(saved);
	/* reaped: no child is left to wait for, and the pipe's writers are all closed (the watchdog held one) */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(read(fd, buf, sizeof(buf)), 0);
	close(fd);
}

static void test_stage_without_watchdog(void **state)
{
	(void)state;
	zt_startwatch_stage("nothing watches"); /* a no-op, as after the start */
	zt_startwatch_end();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_says_the_stage_now),
		cmocka_unit_test(test_over_means_silent_and_gone),
		cmocka_unit_test(test_stage_without_watchdog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
