// SPDX-License-Identifier: GPL-2.0
/* zpcitrace as a systemd service: the notification datagram on a socket as systemd binds it (a path, or the
 * abstract namespace), nothing without NOTIFY_SOCKET, the watchdog's period only when it is ours, the STATUS
 * line. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include "correlate.h"
#include "service.h"

/* a datagram socket bound at name ("@..." abstract), as the service manager's */
static int manager(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	size_t n = strlen(name);

	assert_true(fd >= 0);
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)), 0);
	return fd;
}

static void heard(int fd, const char *want)
{
	char got[1100];
	ssize_t n = recv(fd, got, sizeof(got) - 1, MSG_DONTWAIT);

	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, want);
}

static void test_notify(void **state)
{
	char path[64], abstract[64];
	int fd;
	(void)state;

	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(zt_notify("READY=1"), 1); /* outside systemd: nothing */
	snprintf(path, sizeof(path), "/tmp/zt-notify-%d", (int)getpid());
	fd = manager(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(zt_notify("READY=1\nSTATUS=%s", "tracing"), 0);
	heard(fd, "READY=1\nSTATUS=tracing");
	close(fd);
	unlink(path);
	snprintf(abstract, sizeof(abstract), "@zt-notify-%d", (int)getpid());
	fd = manager(abstract);
	setenv("NOTIFY_SOCKET", abstract, 1);
	assert_int_equal(zt_notify("WATCHDOG=1"), 0);
	heard(fd, "WATCHDOG=1");
	close(fd);
	setenv("NOTIFY_SOCKET", "relative/path", 1); /* neither a path nor abstract: not systemd's */
	assert_int_equal(zt_notify("READY=1"), 1);
	unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog_is_ours(void **state)
{
	char pid[16];
	(void)state;

	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	assert_int_equal(zt_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "60000000", 1);
	assert_int_equal(zt_watchdog_usec(), 60000000);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(zt_watchdog_usec(), 60000000);
	setenv("WATCHDOG_PID", "1", 1); /* another process's watchdog */
	assert_int_equal(zt_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
}

static void test_status_line(void **state)
{
	struct zt_run run = { .realtime_off = 1796000000LL * 1000000000LL, .nhooks = 3 };
	struct zt_corr c;
	struct zt_snapshot s = { .corr = &c, .run = &run };
	struct zt_output_state out = { "textfile", 5000000000ull, 0 };
	struct zt_event open = { .type = ZT_EV_OPEN, .ts_ns = 1, .has_fn = 1, .fid = 1, .q_valid = 1, .q_mr = 1 };
	char line[512];
	(void)state;

	run.hooks[0] = (struct zt_hook_state){ "zpci_event_error", "arrival", "kprobe", NULL };
	run.hooks[1] = (struct zt_hook_state){ "zpci_store_pci_error", "enqueue", "fentry", NULL };
	run.hooks[2] = (struct zt_hook_state){ "vfio_pci_zdev_feature_err", "dequeue", "pending", "vfio_pci_core" };
	zt_corr_init(&c);
	zt_corr_add(&c, &open, NULL);
	c.total[ZT_C_ARRIVED] = 8, c.total[ZT_C_DROPPED_FULL] = 2, c.total[ZT_C_DISCARDED] = 1;
	s.losses.n[0] = 3;
	zt_service_status(&s, &out, line, sizeof(line));
	assert_string_equal(line, "tracing: 2 hooks, 1 pending; 1 functions, 1 open; 8 errors, 2 dropped, 0 lost, "
				  "1 discarded; 3 events not seen; textfile written at 00:53:25 UTC");
	out.err = -28;
	zt_service_status(&s, &out, line, sizeof(line));
	assert_non_null(strstr(line, "; textfile NOT written: No space left on device"));
	zt_corr_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_watchdog_is_ours),
		cmocka_unit_test(test_status_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
