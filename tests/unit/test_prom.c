// SPDX-License-Identifier: GPL-2.0
/* The exporter's file: valid for promtool with no lint warning, the counts it was fed, written atomically. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/vfio.h>
#include "ccdf.h"
#include "correlate.h"
#include "prom.h"

#define MS 1000000ull

static char dir[] = "/tmp/zt-prom-XXXXXX";

static struct zt_event ev(uint32_t type, uint32_t fid, uint64_t ts, uint16_t pec)
{
	struct zt_event e;
	struct zt_ccdf c = { .fid = fid, .pec = pec };
	memset(&e, 0, sizeof(e));
	e.type = type;
	e.ts_ns = ts;
	e.has_fn = 1;
	e.fid = fid;
	e.get_ret = ZT_NOT_CALLED;
	e.q_valid = 1;
	e.q_mr = 1;
	if (pec) {
		zt_ccdf_encode(&c, e.ccdf);
		e.has_ccdf = 1;
	}
	return e;
}

/* fid 1: the overflow scenario (6 errors, 4 stored, 2 dropped, 4 read); fid 2: 2 errors left for close */
static void feed(struct zt_corr *c)
{
	uint8_t tail = 0, head = 0;
	zt_corr_init(c);
	for (int i = 0; i < 6; i++) {
		struct zt_event a = ev(ZT_EV_ARRIVAL, 1, (uint64_t)i * MS, 4), q = ev(ZT_EV_ENQUEUE, 1, (uint64_t)i * MS + 1, 4);
		zt_corr_add(c, &a, NULL);
		if (i < 4) {
			q.result = ZT_ENQ_STORED, q.has_slot = 1, q.slot = tail % 4, tail++;
		} else {
			q.result = ZT_ENQ_DROPPED_FULL;
		}
		q.q_tail = tail, q.q_count = tail - head;
		zt_corr_add(c, &q, NULL);
	}
	for (int i = 0; i < 4; i++) {
		struct zt_event d = ev(ZT_EV_FEATURE, 1, (uint64_t)(20 + i) * 100 * MS, 4);
		d.flags = VFIO_DEVICE_FEATURE_GET | 13, d.get_ret = 0, d.has_slot = 1, d.slot = head % 4, head++;
		d.q_head = head, d.q_tail = tail, d.q_count = tail - head;
		zt_corr_add(c, &d, NULL);
	}
	for (int i = 0; i < 2; i++) {
		struct zt_event q = ev(ZT_EV_ENQUEUE, 2, 5 * MS, 2);
		q.result = ZT_ENQ_STORED, q.has_slot = 1, q.slot = (uint8_t)i, q.q_tail = (uint8_t)(i + 1), q.q_count = (uint8_t)(i + 1);
		zt_corr_add(c, &q, NULL);
	}
	struct zt_event cl = ev(ZT_EV_CLOSE, 2, 9 * MS, 0);
	cl.discarded = 3; /* one more than traced: its PEC is unknown */
	zt_corr_add(c, &cl, NULL);
}

/* a run with one hook, its version needing the exposition format's escapes */
static const struct zt_run run = { .zpcitrace = "v\"1\\", .hooks = { { "zpci_event_error", "arrival", "kprobe", NULL } },
				   .nhooks = 1 };
static const struct zt_run test_run = { .zpcitrace = "test", .hooks = { { "zpci_event_error", "arrival", "kprobe", NULL } },
					.nhooks = 1 };

static char *render(struct zt_corr *c)
{
	struct zt_snapshot s = { .corr = c, .losses.n = { [ZT_LOSS_RINGBUF] = 3, [ZT_LOSS_UNTRACED] = 2 }, .run = &run };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	zt_prom_render(&s, f);
	fclose(f);
	return buf;
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void test_promtool_accepts_without_lint_warnings(void **state)
{
	struct zt_corr c;
	struct zt_snapshot s = { .corr = &c, .run = &test_run };
	char path[256], cmd[512], out[4096] = "", why[4200];
	(void)state;
	feed(&c);
	snprintf(path, sizeof(path), "%s/zpcitrace.prom", dir);
	assert_int_equal(zt_prom_write(&s, path, why, sizeof(why)), 0);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1; echo rc=$?", path);
	FILE *p = popen(cmd, "r");
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	pclose(p);
	out[n] = 0;
	assert_string_equal(out, "rc=0\n"); /* nothing said: no lint warning either */
	zt_corr_free(&c);
}

static void test_counts(void **state)
{
	struct zt_corr c;
	(void)state;
	feed(&c);
	char *m = render(&c);
	assert_non_null(strstr(m, "\nzpcitrace_errors_arrived_total{fid=\"0x00000001\",pec=\"0x0004\"} 6\n"));
	assert_non_null(strstr(m, "\nzpcitrace_errors_stored_total{fid=\"0x00000001\",pec=\"0x0004\"} 4\n"));
	assert_non_null(strstr(m, "\nzpcitrace_errors_dropped_total{fid=\"0x00000001\",pec=\"0x0004\"} 2\n"));
	assert_non_null(strstr(m, "\nzpcitrace_errors_dequeued_total{fid=\"0x00000001\",pec=\"0x0004\"} 4\n"));
	assert_non_null(strstr(m, "\nzpcitrace_errors_discarded_total{fid=\"0x00000002\",pec=\"0x0002\"} 2\n"));
	assert_non_null(strstr(m, "\nzpcitrace_errors_discarded_total{fid=\"0x00000002\",pec=\"unknown\"} 1\n"));
	assert_non_null(strstr(m, "\nzpcitrace_queue_depth_max{fid=\"0x00000001\"} 4\n"));
	assert_non_null(strstr(m, "\nzpcitrace_no_consumer{fid=\"0x00000002\"} 1\n"));
	assert_non_null(strstr(m, "\nzpcitrace_no_consumer{fid=\"0x00000001\"} 0\n"));
	assert_non_null(strstr(m, "\nzpcitrace_ringbuf_lost_events_total 3\n"));
	assert_non_null(strstr(m, "\n# TYPE zpcitrace_untraced_returns_total counter\nzpcitrace_untraced_returns_total 2\n"));
	assert_non_null(strstr(m, "\nzpcitrace_hook_info{function=\"zpci_event_error\",mode=\"kprobe\"} 1\n"));
	assert_non_null(strstr(m, "\nzpcitrace_uapi_info{form=\"unknown\"} 1\n")); /* no feature hook loaded */
	assert_non_null(strstr(m, "zpcitrace_build_info{version=\"v\\\"1\\\\\"} 1\n")); /* escaped label */
	/* waits of 2.0, 2.099, 2.198, 2.297 s: none <= 1 s, all <= 2.5 s */
	assert_non_null(strstr(m, "\nzpcitrace_queue_wait_seconds_bucket{pec=\"0x0004\",le=\"1\"} 0\n"));
	assert_non_null(strstr(m, "\nzpcitrace_queue_wait_seconds_bucket{pec=\"0x0004\",le=\"2.5\"} 4\n"));
	assert_non_null(strstr(m, "\nzpcitrace_queue_wait_seconds_bucket{pec=\"0x0004\",le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(m, "\nzpcitrace_queue_wait_seconds_count{pec=\"0x0004\"} 4\n"));
	free(m);
	zt_corr_free(&c);
}

/* the alert on unread errors compares this timestamp with time(): whole seconds and milliseconds survive */
static void test_oldest_pending_timestamp(void **state)
{
	struct zt_corr c;
	(void)state;
	zt_corr_init(&c);
	for (int i = 0; i < 2; i++) {
		struct zt_event a = ev(ZT_EV_ARRIVAL, 3, (uint64_t)(i + 1) * 250 * MS, 4);
		struct zt_event q = ev(ZT_EV_ENQUEUE, 3, (uint64_t)(i + 1) * 250 * MS, 4);
		zt_corr_add(&c, &a, NULL);
		q.result = ZT_ENQ_STORED, q.has_slot = 1, q.slot = (uint8_t)i, q.q_tail = (uint8_t)(i + 1), q.q_count = (uint8_t)(i + 1);
		zt_corr_add(&c, &q, NULL);
	}
	struct zt_snapshot s = { .corr = &c, .run = &(struct zt_run){ .realtime_off = 1764712345000000000ll } };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	zt_prom_render(&s, f);
	fclose(f);
	assert_non_null(strstr(buf, "\nzpcitrace_queue_oldest_pending_timestamp_seconds{fid=\"0x00000003\"} 1764712345.25\n"));
	assert_non_null(strstr(buf, "\nzpcitrace_last_error_timestamp_seconds{fid=\"0x00000003\"} 1764712345.5\n"));
	free(buf);
	zt_corr_free(&c);
}

static void test_atomic_write_mode_and_symlink(void **state)
{
	struct zt_corr c;
	struct zt_snapshot s = { .corr = &c, .run = &(struct zt_run){ .zpcitrace = "test" } };
	char path[256], target[256], why[4200];
	struct stat st;
	(void)state;
	feed(&c);
	snprintf(path, sizeof(path), "%s/link.prom", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	FILE *t = fopen(target, "w");
	fputs("untouched\n", t);
	fclose(t);
	assert_int_equal(symlink(target, path), 0);
	umask(077);
	assert_int_equal(zt_prom_write(&s, path, why, sizeof(why)), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode)); /* the link was replaced, not followed */
	assert_int_equal(st.st_mode & 0777, 0600); /* the umask's, as every output's (the unit sets 0022) */
	umask(022);
	char buf[16] = "";
	t = fopen(target, "r");
	assert_non_null(fgets(buf, sizeof(buf), t));
	fclose(t);
	assert_string_equal(buf, "untouched\n");
	/* a directory that does not exist: an error, nothing left behind */
	snprintf(path, sizeof(path), "%s/nonexistent/x.prom", dir);
	assert_int_equal(zt_prom_write(&s, path, why, sizeof(why)), -ENOENT);
	zt_corr_free(&c);
}

/* SIGKILL at random points of a writing loop never leaves a partial file where node_exporter reads */
static void test_kill_mid_write(void **state)
{
	struct zt_corr c;
	char path[256], why[4200];
	(void)state;
	feed(&c);
	/* many functions make the file large enough for the kill to land inside writes */
	for (uint32_t fid = 100; fid < 2100; fid++) {
		struct zt_event a = ev(ZT_EV_ARRIVAL, fid, 1, 4);
		zt_corr_add(&c, &a, NULL);
	}
	char *want = render(&c);
	struct zt_snapshot s = { .corr = &c, .losses.n = { [ZT_LOSS_RINGBUF] = 3, [ZT_LOSS_UNTRACED] = 2 }, .run = &run };
	snprintf(path, sizeof(path), "%s/kill.prom", dir);
	srand((unsigned)time(NULL));
	int complete = 0;
	for (int round = 0; round < 40; round++) {
		pid_t pid = fork();
		if (!pid) {
			for (;;)
				zt_prom_write(&s, path, why, sizeof(why));
		}
		if (round == 0) /* let one write complete: then every kill replaces or interrupts a full file */
			while (access(path, F_OK))
				usleep(1000);
		usleep(rand() % 50000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		char *got = NULL;
		size_t cap = 0;
		ssize_t n = getdelim(&got, &cap, '\0', f);
		fclose(f);
		assert_true(n > 0);
		assert_string_equal(got, want); /* whole, never cut */
		complete++;
		free(got);
	}
	assert_int_equal(complete, 40);
	free(want);
	zt_corr_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_promtool_accepts_without_lint_warnings),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_oldest_pending_timestamp),
		cmocka_unit_test(test_atomic_write_mode_and_symlink),
		cmocka_unit_test(test_kill_mid_write),
	};
	return cmocka_run_group_tests_name("prom", tests, setup, teardown);
}
