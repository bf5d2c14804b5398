// SPDX-License-Identifier: GPL-2.0
/* Captures: what is written reads back exactly; a file cut anywhere reads back to its last full line;
 * foreign, future and corrupt files are refused with a reason; unknown fields are ignored. */
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
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/vfio.h>
#include "capture.h"
#include "ccdf.h"
#include "correlate.h"
#include "text.h"

static struct zt_event sample(int i)
{
	struct zt_event e;
	struct zt_ccdf c = { .fh = 0x80020000, .fid = 1, .pec = 4, .faddr = 0x104001002ull + (uint64_t)i, .q = 1, .mvn = 7 };
	memset(&e, 0, sizeof(e));
	e.type = (uint32_t)(1 + i % 8);
	e.ts_ns = 1000000000ull * (uint64_t)(i + 1) + 7;
	e.cpu = 1;
	e.pid = 4242;
	e.tid = 4243;
	memcpy(e.comm, "qemu-system-s39\"", 16); /* full length, no NUL, a quote */
	e.has_fn = 1;
	e.fid = 1;
	e.fh = 0x80020000;
	e.has_pci = 1;
	e.pci_domain = 1;
	e.pci_devfn = 9;
	e.ret = -EFAULT;
	e.get_ret = 0;
	e.flags = VFIO_DEVICE_FEATURE_GET | 13;
	e.state = 2;
	e.discarded = 3;
	e.q_valid = 1;
	e.q_mr = 1;
	e.q_count = 2;
	e.q_head = 255;
	e.q_tail = 1;
	e.result = ZT_ENQ_DROPPED_FULL;
	e.slot = 3;
	e.has_slot = 1;
	e.derived = 1;
	if (i % 3 == 2) /* the comm changes and changes back: the writer escapes each anew */
		memcpy(e.comm, "kmcheck\0\0\0\0\0\0\0\0", 16);
	if (i == 5) { /* the widest integers a record holds */
		e.ts_ns += 100000000000000000ull; /* 18 digits */
		e.fh = UINT32_MAX;
		e.pid = 1000000000;
		e.ret = INT32_MIN;
		e.get_ret = INT32_MAX;
	}
	zt_ccdf_encode(&c, e.ccdf);
	e.has_ccdf = 1;
	return e;
}

static const struct zt_hook_state hooks[] = { { "zpci_event_error", "arrival", "kprobe", NULL },
					      { "vfio_pci_zdev_feature_err", "dequeue", "fentry", "vfio_pci_core" } };

/* a capture of n sample events in memory */
static char *make_capture(int n, size_t *len, bool trailer)
{
	char path[] = "/tmp/zt-cap-XXXXXX";
	int fd = mkstemp(path);
	struct zt_capture_writer w;
	char why[4200];
	struct zt_run m = { .hostname = "host\\1", .kernel = "7.3-s390x", .machine = "s390x",
				     .btf = "/sys/kernel/btf/vmlinux", .zpcitrace = "test", .realtime_off = -5,
				     .derived = true, .uapi = ZT_UAPI_MERGED, .nhooks = 2 };
	struct zt_corr c;
	char *buf;
	FILE *f;

	close(fd);
	memcpy(m.hooks, hooks, sizeof(hooks));
	assert_int_equal(zt_capture_writer_open(&w, path, why, sizeof(why)), 0);
	zt_capture_writer_header(&w, &m, 0);
	zt_corr_init(&c);
	for (int i = 0; i < n; i++) {
		struct zt_event e = sample(i);
		zt_capture_writer_event(&w, &e, m.realtime_off);
		zt_corr_add(&c, &e, NULL);
	}
	if (trailer) {
		/* the trailer's uapi differs from the header's, as when vfio_pci_core loaded during the recording */
		struct zt_run end = m;

		end.uapi = ZT_UAPI_V12;
		struct zt_snapshot s = { .corr = &c, .now_ns = 99, .losses.n = { [ZT_LOSS_RINGBUF] = 5, [ZT_LOSS_UNTRACED] = 6 },
					 .run = &end };
		zt_capture_writer_trailer(&w, &s, "exit", NULL);
	}
	assert_int_equal(zt_capture_writer_close(&w), 0);
	zt_corr_free(&c);
	f = fopen(path, "r");
	buf = calloc(1, 1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	unlink(path);
	return buf;
}

static void test_round_trip(void **state)
{
	size_t len;
	char *buf = make_capture(20, &len, true), err[256];
	struct zt_capture c;
	(void)state;
	assert_int_equal(zt_capture_parse(buf, len, &c, err, sizeof(err)), 0);
	assert_int_equal(c.nevents, 20);
	for (int i = 0; i < 20; i++) {
		struct zt_event want = sample(i);
		assert_memory_equal(&c.events[i], &want, sizeof(want));
	}
	assert_true(c.has_trailer);
	assert_int_equal(c.ended_ns, 99);
	assert_int_equal(c.losses.n[ZT_LOSS_RINGBUF], 5);
	assert_int_equal(c.losses.n[ZT_LOSS_UNTRACED], 6);
	assert_int_equal(c.gaps.unwritten, 0);
	assert_int_equal(c.meta.realtime_off, -5);
	assert_true(c.meta.derived);
	assert_string_equal(c.meta.hostname, "host\\1");
	assert_int_equal(c.meta.nhooks, 2);
	assert_string_equal(c.meta.hooks[1].mode, "fentry");
	assert_string_equal(c.meta.hooks[1].module, "vfio_pci_core");
	assert_int_equal(c.meta.uapi, ZT_UAPI_V12); /* the trailer's, as at the end */
	assert_int_equal(c.gaps.cut_bytes, 0);
	/* the one snapshot of a capture (report's and the fuzz harness's): its run, losses and gaps, over the corr */
	struct zt_corr corr;
	struct zt_snapshot s;

	zt_corr_init(&corr);
	zt_capture_snapshot(&c, &corr, 1234, &s);
	assert_ptr_equal(s.corr, &corr);
	assert_int_equal(s.now_ns, 1234);
	assert_ptr_equal(s.run, &c.meta);
	assert_ptr_equal(s.gaps, &c.gaps);
	assert_memory_equal(&s.losses, &c.losses, sizeof(s.losses));
	assert_true(s.histograms && s.ident);
	zt_corr_free(&corr);
	zt_capture_free(&c);
	free(buf);
}

/* without a trailer the uapi form is the header's */
/* the decimal writer at every power of ten and its neighbours, and at the ends of the types */
static void test_decimal_digits(void **state)
{
	char got[32], want[32];
	(void)state;
	for (uint64_t p = 1;; p *= 10) {
		for (int d = -1; d <= 1; d++) {
			*zt_put_u64(got, p + (uint64_t)d) = '\0';
			snprintf(want, sizeof(want), "%llu", (unsigned long long)(p + (uint64_t)d));
			assert_string_equal(got, want);
		}
		if (p > UINT64_MAX / 10)
			break;
	}
	*zt_put_u64(got, UINT64_MAX) = '\0';
	assert_string_equal(got, "18446744073709551615");
	*zt_put_i64(got, INT64_MIN) = '\0';
	assert_string_equal(got, "-9223372036854775808");
	*zt_put_i64(got, -42) = '\0';
	assert_string_equal(got, "-42");
	*zt_put_i64(got, -7) = '\0';
	assert_string_equal(got, "-7");
}

/* the byte and 32-bit writers: every byte, and the 32-bit powers of ten, their neighbours and the end */
static void test_narrow_digits(void **state)
{
	char got[32], want[32];
	(void)state;
	for (unsigned v = 0; v < 256; v++) {
		memset(got, 'x', sizeof(got));
		*zt_put_u8(got, (uint8_t)v) = '\0';
		snprintf(want, sizeof(want), "%u", v);
		assert_string_equal(got, want);
	}
	for (uint64_t p = 1; p <= UINT32_MAX; p *= 10)
		for (int d = -1; d <= 1; d++) {
			uint32_t v = (uint32_t)(p + (uint64_t)d);
			*zt_put_u32(got, v) = '\0';
			snprintf(want, sizeof(want), "%u", v);
			assert_string_equal(got, want);
		}
	*zt_put_u32(got, UINT32_MAX) = '\0';
	assert_string_equal(got, "4294967295");
}

/* the hex writer: every byte value, in the eight-byte stride and in the tail, as printf writes it */
static void test_hex_digits(void **state)
{
	uint8_t b[259];
	char got[2 * sizeof(b) + 1], want[2 * sizeof(b) + 1];
	(void)state;
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 7 + 3);
	for (size_t n = 0; n <= sizeof(b); n += (n < 20 ? 1 : 37)) {
		*zt_put_hex(got, b, n) = '\0';
		for (size_t i = 0; i < n; i++)
			snprintf(want + 2 * i, 3, "%02x", b[i]);
		want[2 * n] = '\0';
		assert_string_equal(got, want);
	}
}

static void test_uapi_from_the_header(void **state)
{
	size_t len;
	char *buf = make_capture(3, &len, false), err[256];
	struct zt_capture c;
	(void)state;
	assert_int_equal(zt_capture_parse(buf, len, &c, err, sizeof(err)), 0);
	assert_false(c.has_trailer);
	assert_int_equal(c.meta.uapi, ZT_UAPI_MERGED);
	assert_non_null(strstr(buf, "\"uapi\":\"merged\""));
	zt_capture_free(&c);
	free(buf);
}

/* cut at every byte: the header line must be whole; after that, every complete line is read */
static void test_cut_anywhere(void **state)
{
	size_t len;
	char *buf = make_capture(5, &len, true), err[256];
	size_t header_end = (size_t)(strchr(buf, '\n') - buf) + 1;
	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		struct zt_capture c;
		int rc = zt_capture_parse(buf, cut, &c, err, sizeof(err));
		if (cut < header_end) {
			assert_int_equal(rc, -1);
			zt_capture_free(&c);
			continue;
		}
		assert_int_equal(rc, 0);
		size_t complete = 0;
		for (size_t i = 0; i < cut; i++)
			complete += buf[i] == '\n';
		assert_int_equal(c.lines, complete);
		assert_int_equal(c.nevents, complete - 1 - (c.has_trailer ? 1 : 0));
		assert_int_equal(c.has_trailer, cut == len);
		assert_int_equal(c.gaps.cut_bytes, cut - (size_t)(memrchr(buf, '\n', cut) - (void *)buf) - 1);
		zt_capture_free(&c);
	}
	free(buf);
}

static void expect_refused(const char *text, const char *reason)
{
	struct zt_capture c;
	char err[256] = "";
	assert_int_equal(zt_capture_parse(text, strlen(text), &c, err, sizeof(err)), -1);
	if (!strstr(err, reason))
		fail_msg("'%s': reason '%s' lacks '%s'", text, err, reason);
	zt_capture_free(&c);
}

/* text reads, with exactly one line skipped: the one named in want ("line N: reason") */
static void expect_skipped(const char *text, const char *want)
{
	struct zt_capture c;
	char err[256] = "", got[160];
	assert_int_equal(zt_capture_parse(text, strlen(text), &c, err, sizeof(err)), 0);
	assert_int_equal(c.gaps.skipped_lines, 1);
	snprintf(got, sizeof(got), "line %llu: %s", (unsigned long long)c.gaps.first_skipped_line, c.gaps.first_skipped_why);
	if (strncmp(got, want, strlen(want)))
		fail_msg("'%s': skipped as '%s', wanted '%s'", text, got, want);
	zt_capture_free(&c);
}

static void test_refused(void **state)
{
	(void)state;
	expect_refused("", "empty file");
	expect_refused("root:x:0:0:root:/root:/bin/bash\n", "not a zpcitrace capture");
	expect_refused("{\"format\":\"other\",\"version\":\"1.0\"}\n", "not a zpcitrace capture");
	expect_refused("[1,2]\n", "not a zpcitrace capture");
	expect_refused("{\"format\":\"zpcitrace-capture\",\"version\":\"3.0\"}\n", "version 3.0 is not readable");
	expect_refused("{\"format\":\"zpcitrace-capture\",\"version\":\"0.9\"}\n", "version 0.9 is not readable");
	expect_refused("{\"format\":\"zpcitrace-capture\"}\n", "no version");
	/* a damaged line after the header is skipped, counted and named, never fatal.
	 * 2.x: the record is an array, comm its one string, at index 5 */
	expect_skipped("{\"format\":\"zpcitrace-capture\",\"version\":\"2.0\"}\n{\"event\":\"x\",\"rec\":{\"type\":1}}\n",
		       "line 2: an event without its record");
	expect_skipped("{\"format\":\"zpcitrace-capture\",\"version\":\"2.0\"}\n{\"event\":\"x\",\"rec\":[1,2,3]}\n",
		       "line 2: its record lacks the integer 'pid'");
	expect_skipped("{\"format\":\"zpcitrace-capture\",\"version\":\"2.0\"}\n{\"event\":\"x\",\"rec\":[1,2,3,4,5,6]}\n",
		       "line 2: its record lacks the string 'comm'");
	expect_skipped("{\"format\":\"zpcitrace-capture\",\"version\":\"2.0\"}\n{\"event\":\"x\",\"rec\":[1,2,3,4,5,\"c\",6]}\n",
		       "line 2: its record lacks the integer 'fh'");
	expect_skipped("{\"format\":\"zpcitrace-capture\",\"version\":\"2.0\"}\n{\"event\":\"x\",\"rec\":[1,2,3,4,5,\"c\",6,7,8,"
		       "256,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}\n",
		       "line 2: 'pci_bus' is out of range");
	expect_skipped("{\"format\":\"zpcitrace-capture\",\"version\":\"1.0\"}\n{\"event\":\"x\",\"rec\":{\"type\":1}}\n",
		       "line 2: its record lacks");
	expect_skipped("{\"format\":\"zpcitrace-capture\",\"version\":\"1.0\"}\n{\"event\":\"x\"}\n",
		       "line 2: an event without its record");
	expect_skipped("{\"format\":\"zpcitrace-capture\",\"version\":\"1.0\"}\n{garbage}\n", "line 2: not JSON");
	expect_skipped("{\"format\":\"zpcitrace-capture\",\"version\":\"1.0\"}\n{\"trailer\":true}\n{\"trailer\":true}\n",
		       "line 3: data after the trailer");
	expect_refused("{\"format\":\"zpcitrace-capture\",\"version\":\"1.0\"", "no complete line");
}

/* a newer minor version may add fields, record elements and event kinds: ignored, counted */
static void test_newer_minor_fields_ignored(void **state)
{
	size_t len;
	char *buf = make_capture(1, &len, true), err[256];
	char *text = NULL, *rec_end, *line_end;
	struct zt_capture c;
	(void)state;
	/* a field in the header; an element at the end of the record and a field in the event; an unknown kind */
	char *nl1 = strchr(buf, '\n'), *nl2 = strchr(nl1 + 1, '\n');
	*nl1 = *nl2 = 0;
	rec_end = strchr(nl1 + 1, ']');
	line_end = nl2 - 1;
	assert_non_null(rec_end);
	assert_int_equal(*line_end, '}');
	*rec_end = *line_end = 0;
	assert_true(asprintf(&text, "%.*s,\"future\":{\"x\":[1,2]}}\n%s,7]%s,\"new\":1}\n"
				    "{\"event\":\"newkind\",\"rec\":[99,1,0,0,0,\"\",0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}\n%s",
			    (int)(nl1 - buf - 1), buf, nl1 + 1, rec_end + 1, nl2 + 1) > 0);
	assert_int_equal(zt_capture_parse(text, strlen(text), &c, err, sizeof(err)), 0);
	assert_int_equal(c.nevents, 1);
	assert_int_equal(c.gaps.skipped_unknown, 1);
	struct zt_event want = sample(0);
	assert_memory_equal(&c.events[0], &want, sizeof(want));
	zt_capture_free(&c);
	free(text);
	free(buf);
}

static void ident_of_fid(void *ctx, const struct zt_fn *f, struct zt_ident *id)
{
	(void)ctx;
	snprintf(id->uid, sizeof(id->uid), "0x%x", f->fid);
	snprintf(id->pchid, sizeof(id->pchid), "%04x", f->fid + 0x100);
}

/* a capture of nfns functions, one event each, written and read back */
static void capture_of_functions(int nfns, zt_ident_fn ident, struct zt_capture *c)
{
	char path[] = "/tmp/zt-many-XXXXXX", err[256], why[4200];
	int fd = mkstemp(path);
	struct zt_capture_writer w;
	struct zt_run m = { .nhooks = 2 };
	struct zt_corr corr;

	close(fd);
	memcpy(m.hooks, hooks, sizeof(hooks));
	zt_corr_init(&corr);
	assert_int_equal(zt_capture_writer_open(&w, path, why, sizeof(why)), 0);
	zt_capture_writer_header(&w, &m, 0);
	for (int i = 0; i < nfns; i++) {
		struct zt_event e = sample(0);

		e.fid = (uint32_t)i;
		zt_capture_writer_event(&w, &e, 0);
		zt_corr_add(&corr, &e, NULL);
	}
	struct zt_snapshot s = { .corr = &corr, .run = &m, .ident = ident };
	zt_capture_writer_trailer(&w, &s, "exit", NULL);
	assert_int_equal(zt_capture_writer_close(&w), 0);
	assert_int_equal(zt_capture_read(path, c, err, sizeof(err)), 0);
	unlink(path);
	zt_corr_free(&corr);
}

/* a trailer naming more functions than a buffer holds: every identity reads back (a host passes hundreds) */
static void test_trailer_many_functions(void **state)
{
	enum { NFNS = 500 };
	struct zt_capture c;
	(void)state;
	capture_of_functions(NFNS, ident_of_fid, &c);
	assert_true(c.has_trailer);
	assert_int_equal(c.nidents, NFNS);
	for (int i = 0; i < NFNS; i++) {
		char uid[16];

		snprintf(uid, sizeof(uid), "0x%x", i);
		assert_int_equal(c.idents[i].fid, i);
		assert_string_equal(c.idents[i].id.uid, uid);
	}
	zt_capture_free(&c);
}

/* 1.x trailers counted lines that could not be formatted: the reader still reports them */
static void test_reads_1_x_unwritten(void **state)
{
	const char *text = "{\"format\":\"zpcitrace-capture\",\"version\":\"1.0\"}\n{\"trailer\":true,\"unwritten\":2}\n";
	struct zt_capture c;
	char err[256];
	(void)state;
	assert_int_equal(zt_capture_parse(text, strlen(text), &c, err, sizeof(err)), 0);
	assert_int_equal(c.gaps.unwritten, 2);
	zt_capture_free(&c);
}

/* a 1.0 capture (written by zpcitrace before 2.0: the -j fields, "rec" as an object) still reads */
static void test_reads_1_0(void **state)
{
	struct zt_capture c;
	char err[256] = "";
	(void)state;
	assert_int_equal(zt_capture_read("tests/fuzz/corpus/small.jsonl", &c, err, sizeof(err)), 0);
	assert_int_equal(c.major, 1);
	assert_int_equal(c.nevents, 3);
	assert_int_equal(c.events[0].type, ZT_EV_RESET);
	assert_int_equal(c.events[0].fid, 1);
	assert_int_equal(c.events[0].pid, 157);
	assert_string_equal(c.events[0].comm, "zpci_vmm");
	assert_int_equal(c.events[2].type, ZT_EV_ARRIVAL);
	assert_int_equal(c.events[2].has_ccdf, 1);
	assert_int_equal(c.events[2].ccdf[31], 4); /* PEC 0x0004, big-endian at the CCDF's end */
	assert_string_equal(c.events[2].comm, "kmcheck");
	zt_capture_free(&c);
}

/* each line's time of day is the event's, also for lines within one second (the writer reuses "HH:MM:SS.") and
 * across midnight */
static void test_line_times(void **state)
{
	static const uint64_t ts[] = { 1000000007ull, 1000999999ull, 1999999999ull, 2000000000ull, 2000000001ull,
				       2500000000ull, 3000123456ull, 3000123457ull };
	const long long off = 86398LL * 1000000000LL; /* 23:59:58 at ts 0: the events cross midnight */
	char path[] = "/tmp/zt-time-XXXXXX", buf[8192] = "", *line, why[4200];
	int fd = mkstemp(path);
	struct zt_capture_writer w;
	struct zt_run m = { .realtime_off = off };
	FILE *f;
	size_t i = 0;
	(void)state;
	close(fd);
	assert_int_equal(zt_capture_writer_open(&w, path, why, sizeof(why)), 0);
	zt_capture_writer_header(&w, &m, 0);
	for (size_t k = 0; k < sizeof(ts) / sizeof(ts[0]); k++) {
		struct zt_event e = sample((int)k);

		e.ts_ns = ts[k];
		zt_capture_writer_event(&w, &e, off);
	}
	assert_int_equal(zt_capture_writer_close(&w), 0);
	f = fopen(path, "r");
	assert_true(fread(buf, 1, sizeof(buf) - 1, f) > 0);
	fclose(f);
	unlink(path);
	line = strchr(buf, '\n') + 1; /* after the header */
	for (; *line; line = strchr(line, '\n') + 1, i++) {
		char want[32], *t = strstr(line, "\"time\":\"");

		assert_non_null(t);
		zt_wall_time(ts[i], off, want, sizeof(want));
		assert_memory_equal(t + 8, want, 15);
	}
	assert_int_equal(i, sizeof(ts) / sizeof(ts[0]));
	assert_memory_equal(strstr(strchr(buf, '\n') + 1, "\"time\":\"") + 8, "23:59:59.000000", 15);
}

/* The full-disk sequence: writes fail part-way through a line, then space comes back. The file reads back to its
 * last whole line before the failure, then the later lines, every one whole; the lost events are counted in the
 * trailer. fill(dir, on) makes the disk full or frees it; the capture is written in dir. */
static void full_disk_sequence(const char *dir, void (*fill)(const char *dir, bool full), bool background)
{
	char path[512], why[4200], err[256];
	struct zt_capture_writer w;
	struct zt_run m = { .nhooks = 0 };
	struct zt_capture c;
	struct zt_corr corr;
	uint64_t before, during = 0;

	snprintf(path, sizeof(path), "%s/cap.jsonl", dir);
	zt_corr_init(&corr);
	assert_int_equal(zt_capture_writer_open(&w, path, why, sizeof(why)), 0);
	zt_capture_writer_header(&w, &m, 0);
	assert_int_equal(zt_capture_writer_publish(&w), 0);
	if (background)
		zt_capture_writer_background(&w);
	for (int i = 0; i < 50; i++) {
		struct zt_event e = sample(i);
		zt_capture_writer_event(&w, &e, 0);
	}
	if (background) /* the thread writes it; flush waits for it */
		zt_capture_writer_send(&w, NULL);
	assert_int_equal(zt_capture_writer_flush(&w), 0);
	before = w.written;
	fill(dir, true);
	for (int round = 0; round < 3; round++) { /* batches bigger than the space left: each write comes up short */
		for (int i = 0; i < 200; i++, during++) {
			struct zt_event e = sample(i);
			zt_capture_writer_event(&w, &e, 0);
		}
		if (background) /* said a batch later: the write of this one is under way */
			assert_int_equal(zt_capture_writer_send(&w, NULL) != 0, round > 0);
		else
			assert_int_not_equal(zt_capture_writer_flush(&w), 0);
	}
	if (background)
		assert_int_not_equal(zt_capture_writer_flush(&w), 0);
	fill(dir, false);
	for (int i = 0; i < 30; i++) {
		struct zt_event e = sample(i);
		zt_capture_writer_event(&w, &e, 0);
	}
	if (background) {
		assert_non_null(w.bg); /* the writes were the thread's */
		zt_capture_writer_send(&w, NULL);
	}
	assert_int_equal(zt_capture_writer_flush(&w), 0);
	struct zt_snapshot s = { .corr = &corr };
	zt_capture_writer_trailer(&w, &s, "exit", NULL);
	assert_int_not_equal(zt_capture_writer_close(&w), 0); /* the first error is kept */
	assert_int_equal(zt_capture_read(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.gaps.skipped_lines, 0); /* no partial line ran into the next */
	assert_int_equal(c.gaps.cut_bytes, 0);
	assert_true(c.has_trailer);
	assert_true(c.nevents >= before + 30);
	assert_int_equal(c.nevents + c.gaps.unwritten, 50 + during + 30); /* every event written or counted */
	assert_true(c.gaps.unwritten > 0);
	assert_true(zt_capture_gaps_damaged(&c.gaps));
	zt_capture_free(&c);
	zt_corr_free(&corr);
	unlink(path);
}

static char rlimit_dir[] = "/tmp/zt-full-XXXXXX";

/* RLIMIT_FSIZE: the kernel writes up to the limit and then fails, as a full disk does */
static void fill_rlimit(const char *dir, bool full)
{
	char path[512];
	struct stat st;
	struct rlimit r;

	snprintf(path, sizeof(path), "%s/cap.jsonl", dir);
	assert_int_equal(stat(path, &st), 0);
	getrlimit(RLIMIT_FSIZE, &r);
	r.rlim_cur = full ? (rlim_t)st.st_size + 3000 : r.rlim_max; /* room for a few lines, not a batch */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &r), 0);
}

static void test_full_disk_rlimit(void **state)
{
	(void)state;
	signal(SIGXFSZ, SIG_IGN);
	assert_non_null(mkdtemp(rlimit_dir));
	full_disk_sequence(rlimit_dir, fill_rlimit, false);
	full_disk_sequence(rlimit_dir, fill_rlimit, true);
	rmdir(rlimit_dir);
}

/* a real filesystem that fills: a 256 KiB tmpfs, filled up by a ballast file, freed by removing it */
static void fill_tmpfs(const char *dir, bool full)
{
	char path[512], block[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/ballast", dir);
	if (!full) {
		assert_int_equal(unlink(path), 0);
		return;
	}
	memset(block, 'x', sizeof(block));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	while (write(fd, block, sizeof(block)) == (ssize_t)sizeof(block))
		;
	/* a few KiB are left for the capture: the next batch comes up short */
	assert_int_equal(ftruncate(fd, lseek(fd, 0, SEEK_CUR) - 8192), 0);
	close(fd);
}

static void test_full_disk_tmpfs(void **state)
{
	char dir[] = "/tmp/zt-tmpfs-XXXXXX";
	(void)state;
	assert_non_null(mkdtemp(dir));
	if (mount("zt-full", dir, "tmpfs", 0, "size=256k")) {
		rmdir(dir);
		skip(); /* not root, or no mount namespace of our own: the RLIMIT_FSIZE test stands */
	}
	full_disk_sequence(dir, fill_tmpfs, false);
	full_disk_sequence(dir, fill_tmpfs, true);
	umount(dir);
	rmdir(dir);
}

/* lines longer than the format allows are refused before they are parsed (a parse costs memory in proportion);
 * the lines around them read */
static void test_long_lines_refused_unread(void **state)
{
	size_t len, big = 2 * ZT_CAPTURE_TRAILER_MAX;
	char *buf = make_capture(2, &len, false), err[256], *text = malloc(len + big + 2 * ZT_CAPTURE_LINE_MAX);
	char *nl2 = strchr(strchr(buf, '\n') + 1, '\n') + 1, *p = text;
	struct zt_capture c;
	(void)state;
	memcpy(p, buf, (size_t)(nl2 - buf)); /* the header and one event */
	p += nl2 - buf;
	memset(p, ' ', ZT_CAPTURE_LINE_MAX + 1); /* an event line one byte too long */
	p[0] = '{', p[ZT_CAPTURE_LINE_MAX] = '}', p += ZT_CAPTURE_LINE_MAX + 1, *p++ = '\n';
	p += sprintf(p, ZT_CAPTURE_TRAILER_PREFIX); /* a trailer too long */
	memset(p, '[', big);
	p += big;
	*p++ = '\n';
	memcpy(p, nl2, len - (size_t)(nl2 - buf)); /* the second event */
	p += len - (size_t)(nl2 - buf);
	assert_int_equal(zt_capture_parse(text, (size_t)(p - text), &c, err, sizeof(err)), 0);
	assert_int_equal(c.nevents, 2);
	assert_int_equal(c.gaps.skipped_lines, 2);
	assert_int_equal(c.gaps.first_skipped_line, 3);
	assert_non_null(strstr(c.gaps.first_skipped_why, "longer than the format allows (4096)"));
	assert_false(c.has_trailer);
	zt_capture_free(&c);
	/* a first line that long is no header */
	assert_int_equal(zt_capture_parse(text + (nl2 - buf), ZT_CAPTURE_LINE_MAX + 2, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a zpcitrace capture"));
	zt_capture_free(&c);
	free(text);
	free(buf);
}

/* a damaged line in the middle: the lines before and after read, the one skipped is named */
static void test_salvage_damaged_line(void **state)
{
	size_t len;
	char *buf = make_capture(6, &len, true), err[256];
	char *l4 = buf;
	struct zt_capture c;
	(void)state;
	for (int i = 0; i < 3; i++)
		l4 = strchr(l4, '\n') + 1;
	memcpy(l4, "{\"event\":\"x\",\"rec\":}", 20); /* line 4, the third event, is no longer JSON */
	assert_int_equal(zt_capture_parse(buf, len, &c, err, sizeof(err)), 0);
	assert_int_equal(c.nevents, 5);
	assert_int_equal(c.gaps.skipped_lines, 1);
	assert_int_equal(c.gaps.first_skipped_line, 4);
	assert_non_null(strstr(c.gaps.first_skipped_why, "not JSON"));
	assert_true(c.has_trailer);
	assert_true(zt_capture_gaps_damaged(&c.gaps));
	zt_capture_free(&c);
	free(buf);
}

/* line k (0: the header) of buf, and its length with the newline */
static const char *line_at(const char *buf, int k, size_t *n)
{
	for (int i = 0; i < k; i++)
		buf = strchr(buf, '\n') + 1;
	*n = (size_t)(strchr(buf, '\n') + 1 - buf);
	return buf;
}

/* buf with line k deleted (copies 0), or written twice (copies 2) */
static size_t edit_line(const char *buf, size_t len, int k, int copies, char *out)
{
	size_t n, at;
	const char *l = line_at(buf, k, &n);

	at = (size_t)(l - buf);
	memcpy(out, buf, at);
	for (int i = 0; i < copies; i++)
		memcpy(out + at + i * n, l, n);
	memcpy(out + at + copies * n, l + n, len - at - n);
	return len - n + (size_t)copies * n;
}

/* the trailer counts the event lines: one deleted (a dropped error fewer) or repeated (more discarded than a queue
 * holds) is damage of its own, not a "complete" capture with wrong numbers */
static void test_trailer_count_checked(void **state)
{
	size_t len, n;
	char *buf = make_capture(6, &len, true), err[256], *edited = malloc(len * 2);
	struct zt_capture c;
	(void)state;
	assert_int_equal(zt_capture_parse(buf, len, &c, err, sizeof(err)), 0);
	assert_true(c.gaps.trailer_events_known);
	assert_int_equal(c.gaps.trailer_events, 6);
	assert_false(c.gaps.count_mismatch);
	assert_false(zt_capture_gaps_damaged(&c.gaps));
	zt_capture_free(&c);
	for (int copies = 0; copies <= 2; copies += 2) {
		n = edit_line(buf, len, 3, copies, edited);
		assert_int_equal(zt_capture_parse(edited, n, &c, err, sizeof(err)), 0);
		assert_int_equal(c.nevents, copies ? 7 : 5);
		assert_true(c.gaps.count_mismatch);
		assert_true(zt_capture_gaps_damaged(&c.gaps));
		assert_int_equal(c.gaps.skipped_lines, 0);
		zt_capture_free(&c);
	}
	free(edited);
	free(buf);
}

/* only {"trailer":true,...} ends a capture: any other "trailer" key is a damaged line */
static void test_only_a_true_trailer_is_one(void **state)
{
	static const char *const fakes[] = { "{\"trailer\":false}\n", "{\"trailer\":1}\n", "{\"trailer\":\"true\"}\n" };
	size_t len;
	char *buf = make_capture(2, &len, false), err[256];
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		char *cap = malloc(len + 64);
		struct zt_capture c;

		memcpy(cap, buf, len);
		strcpy(cap + len, fakes[i]);
		assert_int_equal(zt_capture_parse(cap, len + strlen(fakes[i]), &c, err, sizeof(err)), 0);
		assert_false(c.has_trailer);
		assert_true(c.gaps.cut);
		assert_int_equal(c.gaps.skipped_lines, 1);
		assert_non_null(strstr(c.gaps.first_skipped_why, "trailer"));
		zt_capture_free(&c);
		free(cap);
	}
	free(buf);
}

/* an editor's byte order mark, blank lines: read as the capture they hold */
static void test_bom_and_blank_lines(void **state)
{
	size_t len;
	char *buf = make_capture(3, &len, true), err[256], *cap = malloc(len + 16);
	struct zt_capture c;
	(void)state;
	memcpy(cap, "\xef\xbb\xbf\n \r\n", 7);
	memcpy(cap + 7, buf, len);
	assert_int_equal(zt_capture_parse(cap, len + 7, &c, err, sizeof(err)), 0);
	assert_int_equal(c.nevents, 3);
	assert_false(zt_capture_gaps_damaged(&c.gaps));
	zt_capture_free(&c);
	free(cap);
	free(buf);
}

static const char header_2_4[] = "{\"format\":\"zpcitrace-capture\",\"version\":\"2.4\"}\n";

/* one event line with the record rec (30 integers and comm), parsed */
static int one_event(const char *rec, struct zt_capture *c)
{
	char cap[1024], err[256];

	snprintf(cap, sizeof(cap), "%s{\"event\":\"x\",\"rec\":[%s]}\n", header_2_4, rec);
	return zt_capture_parse(cap, strlen(cap), c, err, sizeof(err));
}

/* ts_ns spans the u64 the writer writes, and nothing else; values no kernel produces are damage, not facts */
static void test_record_values_checked(void **state)
{
	/* type, ts_ns, cpu, pid, tid, comm, fid, fh, domain, bus, devfn, ret, get_ret, flags, state, discarded,
	 * v12_pec, has_fn, has_pci, has_ccdf, q_valid, q_mr, q_count, q_head, q_tail, result, slot, has_slot,
	 * derived, v12, via_get */
#define REC(ts, discarded, count, slot) \
	"6," ts ",0,1,1,\"q\",1,2,0,0,0,0,1,0,0," discarded ",0,1,0,0,1,0," count ",0,0,0," slot ",1,0,0,0"
	static const char *const bad[] = { REC("-1", "0", "0", "0"), REC("18446744073709551616", "0", "0", "0"),
					   REC("1", "65535", "0", "0"), REC("1", "0", "200", "0"),
					   REC("1", "0", "0", "7") };
	struct zt_capture c;
	(void)state;
	assert_int_equal(one_event(REC("18446744073709551615", "4", "4", "3"), &c), 0);
	assert_int_equal(c.nevents, 1);
	assert_true(c.events[0].ts_ns == UINT64_MAX);
	zt_capture_free(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(one_event(bad[i], &c), 0);
		if (c.nevents || c.gaps.skipped_lines != 1)
			fail_msg("read: %s", bad[i]);
		zt_capture_free(&c);
	}
#undef REC
}

/* a capture of one header line whose members after the version are members (JSON text), parsed */
static void parse_header(const char *members, struct zt_capture *c)
{
	char cap[512], err[256];

	snprintf(cap, sizeof(cap), "{\"format\":\"zpcitrace-capture\",\"version\":\"2.4\",%s}\n", members);
	assert_int_equal(zt_capture_parse(cap, strlen(cap), c, err, sizeof(err)), 0);
}

/* a key given twice is read as jq reads it: the last one */
static void test_duplicate_keys_last_wins(void **state)
{
	struct zt_capture c;
	(void)state;
	parse_header("\"hostname\":\"a\",\"hostname\":\"b\"", &c);
	assert_string_equal(c.meta.hostname, "b");
	zt_capture_free(&c);
}

/* a capture's strings are kept escaped for a terminal: no control character reaches an output */
static void test_strings_escaped(void **state)
{
	struct zt_capture c;
	(void)state;
	parse_header("\"hostname\":\"\\u001b]0;x\\u0007\",\"hooks\":{\"zpci_event_error\":\"kprobe\\u001b[2J\"},"
		     "\"kernel\":\"caf\u00e9\\u009b1m\"", &c);
	assert_string_equal(c.meta.hostname, "\\x1b]0;x\\x07");
	assert_string_equal(c.meta.hooks[0].mode, "kprobe\\x1b[2J");
	assert_string_equal(c.meta.kernel, "caf\u00e9\\xc2\\x9b1m"); /* UTF-8 kept, C1 (U+009B) escaped */
	zt_capture_free(&c);
}

/* a recorder holds its capture locked: a report tells "still being recorded" (not damage) from "cut short" */
static void test_still_being_recorded(void **state)
{
	char dir[] = "/tmp/zt-live-XXXXXX", path[128], why[4200], err[256];
	struct zt_run m = { .hostname = "h", .zpcitrace = "test" };
	struct zt_capture_writer w;
	struct zt_event e = sample(0);
	struct zt_capture c;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cap.jsonl", dir);
	assert_int_equal(zt_capture_writer_open(&w, path, why, sizeof(why)), 0);
	zt_capture_writer_header(&w, &m, 0);
	assert_int_equal(zt_capture_writer_publish(&w), 0);
	zt_capture_writer_event(&w, &e, 0);
	assert_int_equal(zt_capture_writer_flush(&w), 0);
	assert_int_equal(zt_capture_read(path, &c, err, sizeof(err)), 0);
	assert_true(c.gaps.live);
	assert_true(c.gaps.cut);
	assert_false(zt_capture_gaps_damaged(&c.gaps));
	zt_capture_free(&c);
	/* the recorder gone without its trailer (as after kill -9: its lock went with it): cut short */
	assert_int_equal(zt_capture_writer_close(&w), 0);
	assert_int_equal(zt_capture_read(path, &c, err, sizeof(err)), 0);
	assert_false(c.gaps.live);
	assert_true(c.gaps.cut);
	assert_true(zt_capture_gaps_damaged(&c.gaps));
	zt_capture_free(&c);
	unlink(path);
	rmdir(dir);
}

/* a FIFO with no writer: refused at once, not waited on */
static void test_fifo_refused_without_blocking(void **state)
{
	char dir[] = "/tmp/zt-fifo-XXXXXX", path[64], err[256];
	struct zt_capture c;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10); /* a blocking open would hang here: SIGALRM fails the test instead */
	assert_int_equal(zt_capture_read(path, &c, err, sizeof(err)), -1);
	alarm(0);
	assert_non_null(strstr(err, "not a regular file"));
	unlink(path);
	rmdir(dir);
}

/* a trailer never exceeds the line limit: beyond it the functions are counted, not named */
static void test_trailer_bounded(void **state)
{
	enum { NFNS = 40000 };
	struct zt_capture c;
	(void)state;
	capture_of_functions(NFNS, NULL, &c);
	assert_true(c.has_trailer);
	assert_int_equal(c.gaps.skipped_lines, 0);
	assert_true(c.nidents > 1000);
	assert_int_equal(c.nidents + c.gaps.functions_omitted, NFNS);
	zt_capture_free(&c);
}

/* -w -: the capture goes to standard output, here a file put in its place; the writer never renames or closes it */
static void test_dash_writes_to_stdout(void **state)
{
	char path[] = "/tmp/zt-stdout-XXXXXX", why[4200], err[256];
	int fd = mkstemp(path), saved = dup(STDOUT_FILENO);
	struct zt_capture_writer w;
	struct zt_run m = { .nhooks = 0 };
	struct zt_corr corr;
	struct zt_capture c;
	(void)state;
	fflush(stdout);
	assert_true(fd >= 0 && saved >= 0 && dup2(fd, STDOUT_FILENO) == STDOUT_FILENO);
	zt_corr_init(&corr);
	assert_int_equal(zt_capture_writer_open(&w, "-", why, sizeof(why)), 0);
	zt_capture_writer_header(&w, &m, 0);
	assert_int_equal(zt_capture_writer_publish(&w), 0);
	for (int i = 0; i < 3; i++) {
		struct zt_event e = sample(i);
		zt_capture_writer_event(&w, &e, 0);
	}
	struct zt_snapshot s = { .corr = &corr };
	zt_capture_writer_trailer(&w, &s, "exit", NULL);
	assert_int_equal(zt_capture_writer_close(&w), 0);
	assert_int_equal(write(STDOUT_FILENO, "", 0), 0); /* still open: the writer did not close it */
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);
	assert_int_equal(access("-", F_OK), -1); /* no file named '-' */
	assert_int_equal(zt_capture_read(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.nevents, 3);
	assert_true(c.has_trailer);
	zt_capture_free(&c);
	zt_corr_free(&corr);
	unlink(path);
}

/* the writer's thread: batches handed over by send and by a full buffer go out whole and in order, and the
 * memory stays two buffers (send waits for the batch in flight) */
static void test_background_batches_in_order(void **state)
{
	char path[] = "/tmp/zt-bg-XXXXXX", why[4200], err[256];
	struct zt_run m = { .nhooks = 0 };
	struct zt_capture_writer w;
	struct zt_capture_progress p;
	struct zt_capture c;
	struct zt_corr corr;
	const int n = 30000; /* about 7 MB: 25 and more full buffers besides the sends */
	(void)state;
	close(mkstemp(path));
	zt_corr_init(&corr);
	assert_int_equal(zt_capture_writer_open(&w, path, why, sizeof(why)), 0);
	zt_capture_writer_header(&w, &m, 0);
	assert_int_equal(zt_capture_writer_publish(&w), 0);
	zt_capture_writer_background(&w);
	for (int i = 0; i < n; i++) {
		struct zt_event e = sample(i);
		e.ts_ns = (uint64_t)i; /* the order, read back */
		zt_capture_writer_event(&w, &e, 0);
		if (i % 7000 == 6999)
			assert_int_equal(zt_capture_writer_send(&w, &p), 0);
	}
	assert_non_null(w.bg);
	assert_true(p.whole > 0);
	struct zt_snapshot s = { .corr = &corr };
	zt_capture_writer_trailer(&w, &s, "exit", NULL);
	assert_int_equal(w.written, n);
	assert_int_equal(zt_capture_writer_close(&w), 0);
	assert_null(w.bg); /* joined */
	assert_int_equal(zt_capture_read(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.nevents, n);
	assert_int_equal(c.lines, n + 2);
	for (int i = 0; i < n; i++)
		assert_int_equal(c.events[i].ts_ns, i);
	assert_true(c.has_trailer);
	assert_int_equal(c.gaps.unwritten, 0);
	zt_capture_free(&c);
	zt_corr_free(&corr);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_decimal_digits),
		cmocka_unit_test(test_hex_digits),
		cmocka_unit_test(test_narrow_digits),
		cmocka_unit_test(test_uapi_from_the_header),
		cmocka_unit_test(test_cut_anywhere),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_newer_minor_fields_ignored),
		cmocka_unit_test(test_reads_1_0),
		cmocka_unit_test(test_line_times),
		cmocka_unit_test(test_trailer_many_functions),
		cmocka_unit_test(test_reads_1_x_unwritten),
		cmocka_unit_test(test_full_disk_rlimit),
		cmocka_unit_test(test_full_disk_tmpfs),
		cmocka_unit_test(test_long_lines_refused_unread),
		cmocka_unit_test(test_salvage_damaged_line),
		cmocka_unit_test(test_fifo_refused_without_blocking),
		cmocka_unit_test(test_trailer_count_checked),
		cmocka_unit_test(test_only_a_true_trailer_is_one),
		cmocka_unit_test(test_bom_and_blank_lines),
		cmocka_unit_test(test_record_values_checked),
		cmocka_unit_test(test_duplicate_keys_last_wins),
		cmocka_unit_test(test_strings_escaped),
		cmocka_unit_test(test_still_being_recorded),
		cmocka_unit_test(test_trailer_bounded),
		cmocka_unit_test(test_dash_writes_to_stdout),
		cmocka_unit_test(test_background_batches_in_order),
	};
	return cmocka_run_group_tests_name("capture", tests, NULL, NULL);
}
