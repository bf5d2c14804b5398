// SPDX-License-Identifier: GPL-2.0
/* report FILE...: a rotated set, a cat of it, gzip and zstd, stdin read as the one capture the run would have
 * been; a missing file, a file given twice and two runs are said. The rotated set and a capture of the same
 * events in one file are written by the recorder itself (sink_record), its queues read again at each new file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/vfio.h>
#include "capture.h"
#include "captures.h"
#include "ccdf.h"
#include "report.h"
#include "sink.h"

#define MS 1000000ull

static char dir[] = "/tmp/zt-captures-XXXXXX";
static char rotated[256], single[256];
static unsigned nfiles; /* the rotated set: FILE and FILE.1 .. FILE.(nfiles - 1) */

/* the kernel's queue of one function, and the sinks that see what it does */
struct bed {
	struct zt_corr corr;
	struct zt_sink *sinks[2];
	uint8_t head, tail, count;
	uint64_t now;
	int queue_reads;
};

static struct zt_event base(uint32_t type, const struct bed *b)
{
	struct zt_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.ts_ns = b->now;
	e.has_fn = 1;
	e.fid = 0x12;
	e.fh = 0x80000012;
	e.get_ret = ZT_NOT_CALLED;
	e.q_valid = 1;
	e.q_mr = 1;
	e.q_count = b->count, e.q_head = b->head, e.q_tail = b->tail;
	return e;
}

static void with_ccdf(struct zt_event *e, uint64_t faddr)
{
	struct zt_ccdf c = { .fh = e->fh, .fid = e->fid, .pec = 4, .faddr = faddr };

	zt_ccdf_encode(&c, e->ccdf);
	e->has_ccdf = 1;
}

static void to_sinks(struct bed *b, const struct zt_event *e, int nsinks)
{
	for (int i = 0; i < nsinks; i++)
		b->sinks[i]->event(b->sinks[i], e, NULL);
	b->now += MS;
}

static void arrive(struct bed *b)
{
	struct zt_event e = base(ZT_EV_ARRIVAL, b);

	with_ccdf(&e, b->now);
	to_sinks(b, &e, 2);
	e = base(ZT_EV_ENQUEUE, b);
	with_ccdf(&e, b->now);
	if (b->count < ZT_QUEUE_DEPTH) {
		e.result = ZT_ENQ_STORED;
		e.has_slot = 1;
		e.slot = b->tail % ZT_QUEUE_DEPTH;
		b->tail++;
		b->count++;
	} else {
		e.result = ZT_ENQ_DROPPED_FULL;
	}
	e.q_count = b->count, e.q_head = b->head, e.q_tail = b->tail;
	to_sinks(b, &e, 2);
}

static void dequeue(struct bed *b)
{
	struct zt_event e = base(ZT_EV_FEATURE, b);

	e.flags = VFIO_DEVICE_FEATURE_GET | 13;
	if (!b->count) {
		e.ret = e.get_ret = -ENOMSG;
	} else {
		e.get_ret = e.ret = 0;
		e.has_slot = 1;
		e.slot = b->head % ZT_QUEUE_DEPTH;
		with_ccdf(&e, 0);
		b->head++;
		b->count--;
	}
	e.q_count = b->count, e.q_head = b->head, e.q_tail = b->tail;
	to_sinks(b, &e, 2);
}

/* the recorder's new file reads the queue as the BPF side does: its header, then each error in it */
static void read_queues(void *ctx)
{
	struct bed *b = ctx;
	struct zt_event e = base(ZT_EV_QUEUE, b);

	b->queue_reads++;
	to_sinks(b, &e, 1);
	for (uint8_t i = 0; i < b->count; i++) {
		e = base(ZT_EV_QUEUED, b);
		e.has_slot = 1;
		e.slot = (uint8_t)(b->head + i) % ZT_QUEUE_DEPTH;
		with_ccdf(&e, i);
		to_sinks(b, &e, 1);
	}
}

static void snapshot(void *ctx, struct zt_snapshot *out)
{
	struct bed *b = ctx;

	*out = (struct zt_snapshot){ .corr = &b->corr, .now_ns = b->now };
}

/* one run of errors, recorded twice: rotated every 3000 bytes (all files kept), and in one file */
static int setup(void **state)
{
	static struct zt_run rot_meta = { .hostname = "h", .kernel = "7.3", .zpcitrace = "test",
					  .run_id = "0123456789abcdef0123456789abcdef" };
	static struct zt_run one_meta = { .hostname = "h", .kernel = "7.3", .zpcitrace = "test",
					  .run_id = "fedcba9876543210fedcba9876543210" };
	static struct bed b = { .now = 1000 * MS };
	struct zt_snapshot end;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(rotated, sizeof(rotated), "%s/rot.jsonl", dir);
	snprintf(single, sizeof(single), "%s/one.jsonl", dir);
	zt_corr_init(&b.corr);
	struct zt_sink_args a = { .path = rotated, .meta = &rot_meta, .snapshot = snapshot, .snapshot_ctx = &b,
				  .rotate_bytes = 3000, .rotate_files = 1000, .read_queues = read_queues };
	struct zt_sink_args o = { .path = single, .meta = &one_meta, .snapshot = snapshot, .snapshot_ctx = &b };

	b.sinks[0] = zt_sink_record_new(&a);
	b.sinks[1] = zt_sink_record_new(&o);
	assert_int_equal(b.sinks[0]->start(b.sinks[0]), 0);
	assert_int_equal(b.sinks[1]->start(b.sinks[1]), 0);
	/* a reader that takes one of every three errors: the queue stays full, errors drop, files start with
	 * errors queued */
	for (int i = 0; i < 120; i++) {
		arrive(&b);
		if (i % 3 == 0)
			dequeue(&b);
		b.sinks[0]->drained(b.sinks[0], false);
		b.sinks[1]->drained(b.sinks[1], false);
	}
	snapshot(&b, &end);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(b.sinks[i]->finish(b.sinks[i], &end), 0);
		b.sinks[i]->free(b.sinks[i]);
	}
	nfiles = (unsigned)b.queue_reads + 1;
	assert_true(nfiles >= 4);
	zt_corr_free(&b.corr);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* the report of files, as it prints it: stdout and stderr (malloc'd); the exit status */
static int report(const char *const *files, size_t n, bool json, char **out, char **err)
{
	static struct zt_report_opts o;
	size_t ol = 0, el = 0;
	FILE *fo = open_memstream(out, &ol), *fe = open_memstream(err, &el);
	int rc;

	memset(&o, 0, sizeof(o));
	for (size_t i = 0; i < n; i++)
		o.files[i] = files[i];
	o.nfiles = n;
	o.json = json;
	rc = zt_report_run(&o, fo, fe);
	fclose(fo);
	fclose(fe);
	return rc;
}

/* the summary without its capture section (the one part a set and a single file differ in) */
static char *books(char *summary)
{
	char *cap = strstr(summary, "\ncapture: "), *next;

	assert_non_null(cap);
	next = strstr(cap, "\nfunctions:");
	assert_non_null(next);
	memmove(cap, next, strlen(next) + 1);
	return summary;
}

/* the rotated set's names, oldest first, or newest first */
static const char **set_names(bool newest_first)
{
	static char names[64][300];
	static const char *p[64];

	assert_true(nfiles <= 64);
	for (unsigned k = 0; k < nfiles; k++) {
		unsigned idx = newest_first ? k : nfiles - 1 - k;

		snprintf(names[k], sizeof(names[k]), idx ? "%s.%u" : "%s", rotated, idx);
		p[k] = names[k];
	}
	return p;
}

static char *single_books(void)
{
	const char *one[] = { single };
	char *out, *err;

	assert_int_equal(report(one, 1, false, &out, &err), 0);
	free(err);
	return books(out);
}

static void test_rotated_set_reads_as_one(void **state)
{
	char *want = single_books(), *out, *err;
	(void)state;

	assert_int_equal(report(set_names(false), nfiles, false, &out, &err), 0);
	assert_string_equal(err, "");
	assert_non_null(strstr(out, "captures of the run read as one"));
	/* every error counted once: the queues each new file read are not "queued before the start" */
	assert_non_null(strstr(want, "dropped"));
	assert_string_equal(books(out), want);
	free(out);
	free(err);
	/* the order given does not matter */
	assert_int_equal(report(set_names(true), nfiles, false, &out, &err), 0);
	assert_string_equal(books(out), want);
	free(out);
	free(err);
	free(want);
}

/* each file by itself counts the errors its queue read found as queued before its start */
static void test_one_file_alone_counts_its_start(void **state)
{
	const char *last[] = { rotated };
	char *out, *err;
	(void)state;

	assert_int_equal(report(last, 1, true, &out, &err), 0);
	assert_null(strstr(out, "\"queued_at_start\":0,"));
	free(out);
	free(err);
}

static void shell(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

/* the report of stdin, which is path */
static int stdin_report(const char *path, char **out, char **err)
{
	const char *files[] = { "-" };
	int saved = dup(STDIN_FILENO), fd = open(path, O_RDONLY), rc;

	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDIN_FILENO);
	close(fd);
	rc = report(files, 1, false, out, err);
	dup2(saved, STDIN_FILENO);
	close(saved);
	return rc;
}

/* cat of the set into one file, then gzip of one file and zstd of another, and stdin */
static void test_cat_compressed_and_stdin(void **state)
{
	const char **names = set_names(false);
	char catted[300], gz[300], zst[300], *want = single_books(), *out, *err, list[8192] = "";
	const char *files[66];
	size_t used = 0;
	(void)state;

	for (unsigned k = 0; k < nfiles; k++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, " %s", names[k]);
	snprintf(catted, sizeof(catted), "%s/cat.jsonl", dir);
	shell("cat%s > %s", list, catted);
	files[0] = catted;
	assert_int_equal(report(files, 1, false, &out, &err), 0);
	assert_string_equal(err, "");
	assert_string_equal(books(out), want);
	free(out);
	free(err);

	snprintf(gz, sizeof(gz), "%s/first.gz", dir);
	snprintf(zst, sizeof(zst), "%s/second.zst", dir);
	shell("gzip -c %s > %s && zstd -q -c %s > %s", names[0], gz, names[1], zst);
	files[0] = gz;
	files[1] = zst;
	for (unsigned k = 2; k < nfiles; k++)
		files[k] = names[k];
	assert_int_equal(report(files, nfiles, false, &out, &err), 0);
	assert_string_equal(books(out), want);
	free(out);
	free(err);

	/* stdin: the cat, gzipped in two members (gzip appends one per call) */
	snprintf(gz, sizeof(gz), "%s/cat.gz", dir);
	shell("gzip -c %s > %s && gzip -c%s >> %s", names[0], gz, list + strlen(names[0]) + 1, gz);
	files[0] = "-";
	assert_int_equal(stdin_report(gz, &out, &err), 0);
	assert_string_equal(err, "");
	assert_string_equal(books(out), want);
	free(out);
	free(err);
	/* the first file twice: refused, not counted twice */
	shell("gzip -c %s >> %s", names[0], gz);
	assert_int_equal(stdin_report(gz, &out, &err), 2);
	assert_non_null(strstr(err, "the same capture twice"));
	free(out);
	free(err);
	free(want);
}

static void test_missing_file_is_damage(void **state)
{
	const char **names = set_names(false), *files[64];
	char *out, *err;
	size_t n = 0;
	(void)state;

	for (unsigned k = 0; k < nfiles; k++)
		if (k != 1)
			files[n++] = names[k];
	assert_int_equal(report(files, n, false, &out, &err), 3);
	assert_non_null(strstr(err, "1 of the run's files between those given are missing"));
	assert_non_null(strstr(out, "files of the run not read"));
	free(out);
	free(err);
}

static void test_two_runs_reported_each(void **state)
{
	const char *files[] = { single, rotated };
	char *out, *err;
	(void)state;

	assert_int_equal(report(files, 2, true, &out, &err), 0);
	assert_non_null(strstr(err, "the captures hold 2 runs"));
	assert_non_null(strstr(err, "run 1 of 2"));
	assert_non_null(strstr(err, "run 2 of 2"));
	/* two summaries */
	assert_non_null(strstr(strstr(out, "\"schema\"") + 1, "\"schema\""));
	free(out);
	free(err);
}

static void test_damaged_compression_refused(void **state)
{
	char gz[300], *out, *err;
	const char *files[1] = { gz };
	(void)state;

	snprintf(gz, sizeof(gz), "%s/cut.gz", dir);
	shell("gzip -c %s | head -c 100 > %s", single, gz);
	assert_int_equal(report(files, 1, false, &out, &err), 2);
	assert_non_null(strstr(err, "gzip: the compressed file is cut short"));
	free(out);
	free(err);
	shell("printf '\\050\\265\\057\\375garbage' > %s", gz);
	assert_int_equal(report(files, 1, false, &out, &err), 2);
	assert_non_null(strstr(err, "zstd: "));
	free(out);
	free(err);
	/* a bomb: 300 MB of zeros in 9 KiB is no capture, and does not take the memory */
	shell("head -c 300000000 /dev/zero | zstd -q -c > %s", gz);
	assert_int_equal(report(files, 1, false, &out, &err), 2);
	assert_non_null(strstr(err, "zstd: more than 256 MiB uncompressed (256 times its size): not a capture"));
	free(out);
	free(err);
}

/* a file that holds many captures of one run, each its own file once (names longer than a label holds) */
static void test_many_captures_in_one_file(void **state)
{
	static struct zt_run m = { .hostname = "h", .kernel = "7.3", .zpcitrace = "test",
				   .run_id = "00112233445566778899aabbccddeeff" };
	char path[300], one[300], *out, *err;
	const char *files[] = { path };
	struct zt_corr corr;
	char why[4200];
	(void)state;

	snprintf(path, sizeof(path), "%s/many-captures-of-one-run-in-one-file.jsonl", dir);
	zt_corr_init(&corr);
	for (int i = 1; i <= 60; i++) {
		struct zt_capture_writer w;
		struct zt_event e = { .type = ZT_EV_ARRIVAL, .ts_ns = (uint64_t)i * 1000 * MS, .has_fn = 1, .fid = 7 };
		struct zt_snapshot s = { .corr = &corr, .now_ns = e.ts_ns + 1 };

		snprintf(one, sizeof(one), "%s/part.jsonl", dir);
		unlink(one);
		assert_int_equal(zt_capture_writer_open(&w, one, why, sizeof(why)), 0);
		w.run_file = (uint64_t)i;
		zt_capture_writer_header(&w, &m, 0);
		zt_capture_writer_event(&w, &e, 0);
		if (i < 60) /* the last one cut short: the report names the files (as many as its line holds) */
			zt_capture_writer_trailer(&w, &s, "rotate", NULL);
		assert_int_equal(zt_capture_writer_close(&w), 0);
		shell("cat %s >> %s", one, path);
	}
	assert_int_equal(report(files, 1, true, &out, &err), 3);
	assert_non_null(strstr(err, "many-captures-of-one-run-in-one-file.jsonl, /tmp/"));
	assert_non_null(strstr(err, "... is damaged: cut short"));
	assert_non_null(strstr(out, "\"arrived\":60,"));
	assert_non_null(strstr(out, "\"captures\":60,"));
	free(out);
	free(err);
	zt_corr_free(&corr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotated_set_reads_as_one),
		cmocka_unit_test(test_one_file_alone_counts_its_start),
		cmocka_unit_test(test_cat_compressed_and_stdin),
		cmocka_unit_test(test_missing_file_is_damage),
		cmocka_unit_test(test_two_runs_reported_each),
		cmocka_unit_test(test_damaged_compression_refused),
		cmocka_unit_test(test_many_captures_in_one_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
