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
#include <sys/socket.h>
#include <sys/un.h>
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

/* under systemd (NOTIFY_SOCKET): each stage as STATUS=, and with each report the start's timeout extended */
static void test_tells_the_service_manager(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[64], msg[512], line[256];
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), saved, err;
	(void)state;

	snprintf(path, sizeof(path), "/tmp/zt-startwatch-%d", (int)getpid());
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", path, 1);
	err = capture_stderr(&saved);
	assert_int_equal(zt_startwatch_begin("zt-test", 1), 0);
	zt_startwatch_stage("attaching the hooks in vmlinux");
	ssize_t n = recv(fd, msg, sizeof(msg) - 1, 0);
	assert_true(n > 0);
	msg[n] = '\0';
	assert_true(read_line(err, line, sizeof(line)) > 0); /* the first report is out: its datagram is sent */
	zt_startwatch_end();
	restore_stderr(saved);
	unsetenv("NOTIFY_SOCKET");
	assert_string_equal(msg, "STATUS=starting: attaching the hooks in vmlinux");
	struct pollfd p = { .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 60000), 1);
	n = recv(fd, msg, sizeof(msg) - 1, 0);
	assert_true(n > 0);
	msg[n] = '\0';
	assert_true(strncmp(msg, "EXTEND_TIMEOUT_USEC=3000000\nSTATUS=starting for ", 48) == 0);
	assert_non_null(strstr(msg, " s: attaching the hooks in vmlinux"));
	close(fd);
	close(err);
	unlink(path);
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
		cmocka_unit_test(test_tells_the_service_manager),
		cmocka_unit_test(test_over_means_silent_and_gone),
		cmocka_unit_test(test_stage_without_watchdog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
