// SPDX-License-Identifier: GPL-2.0
/* record -C/-W: the capture rotates by size and keeps a bounded number of files, each a capture by itself; a
 * restart replaces no capture; the flight recorder's dumps are bounded and written once. */
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
#include "capture.h"
#include "sink.h"

struct fake_tracer {
	struct zt_corr corr;
	unsigned long long drops; /* the ring buffer's losses so far */
	int queue_reads;
};

static void fake_snapshot(void *ctx, struct zt_snapshot *out)
{
	struct fake_tracer *t = ctx;

	*out = (struct zt_snapshot){ .corr = &t->corr, .now_ns = 1000, .losses.n[ZT_LOSS_RINGBUF] = t->drops };
}

static void fake_read_queues(void *ctx)
{
	((struct fake_tracer *)ctx)->queue_reads++;
}

static off_t size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

static void test_rotates_by_size_and_keeps_n_files(void **state)
{
	char dir[] = "/tmp/zt-rot-XXXXXX", path[256], name[300];
	struct zt_run meta = { .hostname = "h", .zpcitrace = "test" };
	static struct fake_tracer t;
	struct zt_snapshot end;
	struct zt_sink *s;
	uint64_t events = 0;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cap.jsonl", dir);
	zt_corr_init(&t.corr);
	struct zt_sink_args a = { .path = path, .meta = &meta, .snapshot = fake_snapshot, .snapshot_ctx = &t,
				  .rotate_bytes = 4000, .rotate_files = 3, .read_queues = fake_read_queues };
	s = zt_sink_record_new(&a);
	assert_non_null(s);
	assert_int_equal(s->start(s), 0);
	for (int i = 0; i < 200; i++) {
		struct zt_event e = { .type = ZT_EV_ARRIVAL, .ts_ns = 100 + i, .has_fn = 1, .fid = 1 };

		s->event(s, &e, NULL);
		t.drops += i % 10 == 0; /* a loss now and then, to be counted in the file it happened in */
		s->drained(s, false);
	}
	fake_snapshot(&t, &end);
	assert_int_equal(s->finish(s, &end), 0);
	s->free(s);
	/* FILE, FILE.1, FILE.2: no more */
	snprintf(name, sizeof(name), "%s.3", path);
	assert_int_equal(size_of(name), -1);
	for (int k = 0; k < 3; k++) {
		struct zt_capture c;
		char err[256];

		snprintf(name, sizeof(name), k ? "%s.%d" : "%s", path, k);
		/* each at most the bound and one event's line over it */
		assert_true(size_of(name) > 0 && size_of(name) < 4000 + 1024);
		assert_int_equal(zt_capture_read(name, &c, err, sizeof(err)), 0);
		assert_true(c.has_trailer);
		assert_string_equal(c.reason, k ? "rotate" : "exit");
		assert_int_equal(c.gaps.skipped_lines, 0);
		assert_true(c.nevents > 0);
		/* its own losses: one every ten events, give or take the one at the file's start */
		assert_true(c.losses.n[ZT_LOSS_RINGBUF] <= c.nevents / 10 + 1);
		events += c.nevents;
		zt_capture_free(&c);
		unlink(name);
	}
	/* the queues were read again for every file after the first; the oldest files are gone */
	assert_true(t.queue_reads >= 3);
	assert_true(events < 200);
	rmdir(dir);
	zt_corr_free(&t.corr);
}

/* FILE cannot move to FILE.1 (a directory is in the way, -W 2): FILE keeps what it has, the events after are
 * counted as not written, and the end is an error */
static void test_failed_rotation_is_counted(void **state)
{
	char dir[] = "/tmp/zt-rot-XXXXXX", path[256], blocker[300], inside[320];
	struct zt_run meta = { .hostname = "h", .zpcitrace = "test" };
	static struct fake_tracer t;
	struct zt_snapshot end;
	struct zt_capture c;
	char err[256];
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cap.jsonl", dir);
	snprintf(blocker, sizeof(blocker), "%s.1", path);
	snprintf(inside, sizeof(inside), "%s/x", blocker);
	assert_int_equal(mkdir(blocker, 0755), 0);
	fclose(fopen(inside, "w")); /* not empty: rename() cannot replace it */
	zt_corr_init(&t.corr);
	struct zt_sink_args a = { .path = path, .meta = &meta, .snapshot = fake_snapshot, .snapshot_ctx = &t,
				  .rotate_bytes = 4000, .rotate_files = 2, .read_queues = fake_read_queues };
	struct zt_sink *s = zt_sink_record_new(&a);
	assert_int_equal(s->start(s), 0);
	for (int i = 0; i < 100; i++) {
		struct zt_event e = { .type = ZT_EV_ARRIVAL, .ts_ns = 100 + i, .has_fn = 1, .fid = 1 };

		s->event(s, &e, NULL);
		s->drained(s, false);
	}
	fake_snapshot(&t, &end);
	assert_int_not_equal(s->finish(s, &end), 0);
	s->free(s);
	assert_int_equal(zt_capture_read(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c.reason, "rotate");
	assert_true(c.nevents > 0 && c.nevents < 100);
	assert_int_equal(t.queue_reads, 0);
	zt_capture_free(&c);
	unlink(path);
	unlink(inside);
	rmdir(blocker);
	rmdir(dir);
	zt_corr_free(&t.corr);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* the file at path holds exactly text (a missing file fails the test, not the test program) */
static void assert_file_holds(const char *path, const char *text)
{
	const char *got = slurp(path);

	assert_non_null(got);
	assert_string_equal(got, text);
}

/* a restarted recorder (a crash, a stop, an upgrade) never replaces the capture the last run left: without -C/-W
 * it is kept as FILE.N after those that exist, with them it is shifted into the rotation */
static void test_restart_keeps_the_last_capture(void **state)
{
	char dir[] = "/tmp/zt-keep-XXXXXX", path[256], name[300];
	struct zt_run meta = { .hostname = "h", .zpcitrace = "test" };
	static struct fake_tracer t;
	struct zt_snapshot end;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cap.jsonl", dir);
	zt_corr_init(&t.corr);
	fake_snapshot(&t, &end);
	for (int rotate = 0; rotate < 2; rotate++) {
		struct zt_sink_args a = { .path = path, .meta = &meta, .snapshot = fake_snapshot, .snapshot_ctx = &t,
					  .rotate_bytes = rotate ? 4000 : 0, .rotate_files = rotate ? 3 : 0,
					  .read_queues = fake_read_queues };
		struct zt_sink *s;

		put(path, "the last run's capture\n");
		snprintf(name, sizeof(name), "%s.1", path);
		put(name, "an older one\n");
		s = zt_sink_record_new(&a);
		assert_int_equal(s->start(s), 0);
		assert_int_equal(s->finish(s, &end), 0);
		s->free(s);
		/* without rotation: FILE.2, after FILE.1; with it: FILE.1, and FILE.1 to FILE.2 */
		snprintf(name, sizeof(name), "%s.%d", path, rotate ? 1 : 2);
		assert_file_holds(name, "the last run's capture\n");
		snprintf(name, sizeof(name), "%s.%d", path, rotate ? 2 : 1);
		assert_file_holds(name, "an older one\n");
		assert_non_null(slurp(path));
		assert_non_null(strstr(slurp(path), "zpcitrace-capture"));
		for (int k = 0; k < 3; k++) {
			snprintf(name, sizeof(name), k ? "%s.%d" : "%s", path, k);
			unlink(name);
		}
	}
	rmdir(dir);
	zt_corr_free(&t.corr);
}

static struct zt_sink *flight(const char *path, struct zt_run *meta, struct fake_tracer *t,
			      unsigned long dumps)
{
	struct zt_sink_args a = { .path = path, .flight_n = 8, .flight_dumps = dumps, .meta = meta,
				  .snapshot = fake_snapshot, .snapshot_ctx = t };
	struct zt_sink *s = zt_sink_flight_new(&a);

	assert_non_null(s);
	if (s->start) /* optional, as the loader calls it */
		assert_int_equal(s->start(s), 0);
	return s;
}

static void overflow(struct zt_sink *s, uint64_t ts)
{
	struct zt_event e = { .type = ZT_EV_ENQUEUE, .ts_ns = ts, .has_fn = 1, .fid = 1,
			      .result = ZT_ENQ_DROPPED_FULL };

	s->event(s, &e, NULL);
	s->drained(s, false);
}

static void read_dump(const char *path, int k, struct zt_capture *c)
{
	char name[300], err[256];

	snprintf(name, sizeof(name), k ? "%s.%d" : "%s", path, k);
	assert_int_equal(zt_capture_read(name, c, err, sizeof(err)), 0);
}

/* the flight recorder: a new run's dumps follow the last run's (FILE kept, FILE.K never replaced); each dump holds
 * only the events no earlier dump holds; at most -W dumps on disk, the next ones held back and counted */
static void test_flight_dumps_bounded_and_never_replaced(void **state)
{
	char dir[] = "/tmp/zt-fr-XXXXXX", path[256], name[300];
	struct zt_run meta = { .hostname = "h", .zpcitrace = "test" };
	static struct fake_tracer t;
	struct zt_snapshot end;
	struct zt_capture c;
	struct zt_sink *s;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fr.jsonl", dir);
	zt_corr_init(&t.corr);
	fake_snapshot(&t, &end);
	put(path, "the last run's end\n");
	snprintf(name, sizeof(name), "%s.1", path);
	put(name, "the last run's dump\n");
	s = flight(path, &meta, &t, 3); /* FILE.1 and FILE kept as FILE.2: one more dump fits */
	snprintf(name, sizeof(name), "%s.2", path);
	assert_file_holds(name, "the last run's end\n");
	assert_string_equal(slurp(path + 0) ? "exists" : "gone", "gone");
	overflow(s, 10);
	overflow(s, 11); /* within the second: waits */
	read_dump(path, 3, &c);
	assert_int_equal(c.nevents, 1);
	assert_int_equal(c.gaps.earlier, 0);
	zt_capture_free(&c);
	usleep(1100000);
	s->drained(s, false); /* the waiting dump: only the event since the last one */
	snprintf(name, sizeof(name), "%s.4", path);
	assert_null(slurp(name)); /* 3 dumps on disk: held back */
	usleep(1100000);
	overflow(s, 12);
	assert_null(slurp(name));
	s->drained(s, true); /* SIGUSR1: the operator's own ask is written */
	read_dump(path, 4, &c);
	assert_int_equal(c.nevents, 2); /* 11 and 12, not 10 again */
	assert_int_equal(c.events[0].ts_ns, 11);
	assert_int_equal(c.gaps.earlier, 1);
	assert_int_equal(c.gaps.overwritten, 0);
	assert_true(c.gaps.held_back >= 1);
	assert_false(zt_capture_gaps_damaged(&c.gaps));
	zt_capture_free(&c);
	for (int i = 0; i < 20; i++) /* the ring (8) overwrites 12 that no dump holds */
		overflow(s, 100 + (uint64_t)i);
	assert_int_equal(s->finish(s, &end), 0);
	s->free(s);
	read_dump(path, 0, &c);
	assert_int_equal(c.nevents, 8);
	assert_int_equal(c.gaps.earlier, 3);
	assert_int_equal(c.gaps.overwritten, 12);
	zt_capture_free(&c);
	for (int k = 0; k <= 5; k++) {
		snprintf(name, sizeof(name), k ? "%s.%d" : "%s", path, k);
		unlink(name);
	}
	assert_int_equal(rmdir(dir), 0);
	zt_corr_free(&t.corr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotates_by_size_and_keeps_n_files),
		cmocka_unit_test(test_failed_rotation_is_counted),
		cmocka_unit_test(test_restart_keeps_the_last_capture),
		cmocka_unit_test(test_flight_dumps_bounded_and_never_replaced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
