// SPDX-License-Identifier: GPL-2.0
/* zpcitrace report on captures written by the capture writer: what it selects, what it says of a damaged or
 * partial capture, its exit status, and the Perfetto timeline. */
#define _GNU_SOURCE
#include <errno.h>
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
#include "ccdf.h"
#include "correlate.h"
#include "report.h"

#define S 1000000000ull
#define DAY (86400 * S)

static char dir[] = "/tmp/zt-report-XXXXXX";
static char cap[128];

static struct zt_event ev(uint32_t type, uint64_t ts, uint8_t count, uint8_t head, uint8_t tail)
{
	struct zt_event e;
	struct zt_ccdf c = { .fid = 1, .fh = 0x80000001, .pec = 4, .faddr = ts };
	memset(&e, 0, sizeof(e));
	e.type = type;
	e.ts_ns = ts;
	e.has_fn = 1;
	e.fid = 1;
	e.fh = 0x80000001;
	e.get_ret = ZT_NOT_CALLED;
	e.q_valid = 1;
	e.q_mr = 1;
	e.q_count = count, e.q_head = head, e.q_tail = tail;
	zt_ccdf_encode(&c, e.ccdf);
	e.has_ccdf = 1;
	return e;
}

/* n errors stored at ts[i] (no reader), then a close at close_ns that discards them; off: realtime offset */
static void write_capture(const uint64_t *ts, int n, uint64_t close_ns, long long off, uint64_t overwritten,
			  bool trailer)
{
	struct zt_run m = { .realtime_off = off };
	struct zt_capture_writer w;
	struct zt_corr c;
	char why[4200];

	zt_corr_init(&c);
	assert_int_equal(zt_capture_writer_open(&w, cap, why, sizeof(why)), 0);
	zt_capture_writer_header(&w, &m, 0);
	for (int i = 0; i < n; i++) {
		struct zt_event a = ev(ZT_EV_ARRIVAL, ts[i], (uint8_t)i, 0, (uint8_t)i);
		struct zt_event s = ev(ZT_EV_ENQUEUE, ts[i] + 1, (uint8_t)(i + 1), 0, (uint8_t)(i + 1));

		s.result = ZT_ENQ_STORED, s.has_slot = 1, s.slot = (uint8_t)i;
		zt_capture_writer_event(&w, &a, off);
		zt_capture_writer_event(&w, &s, off);
	}
	if (close_ns) {
		struct zt_event e = ev(ZT_EV_CLOSE, close_ns, 0, 0, 0);

		e.q_mr = 0, e.discarded = (uint32_t)n, e.has_ccdf = 0;
		zt_capture_writer_event(&w, &e, off);
	}
	if (trailer) {
		struct zt_snapshot s = { .corr = &c, .now_ns = close_ns ? close_ns : ts[n - 1] + 1 };
		zt_capture_writer_trailer(&w, &s, "exit", &(struct zt_capture_flight){ .overwritten = overwritten });
	}
	assert_int_equal(zt_capture_writer_close(&w), 0);
	zt_corr_free(&c);
}

/* run the report; its stdout and stderr in out/err (malloc'd) */
static int report(struct zt_report_opts o, char **out, char **err)
{
	size_t ol = 0, el = 0;
	FILE *fo = open_memstream(out, &ol), *fe = open_memstream(err, &el);
	int rc;

	if (!o.nfiles) {
		o.files[0] = cap;
		o.nfiles = 1;
	}
	rc = zt_report_run(&o, fo, fe);
	fclose(fo);
	fclose(fe);
	return rc;
}

static int lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_times_parsed_strictly(void **state)
{
	static const char *const bad[] = { "+1e300", "+inf", "+nan", "+-1", "+", "+ 1", "12:00:nan", "12:00:inf",
					   "25:00:00", "12:60:00", "12:00:61", "1:2:3", "12:00", "12:00:00x",
					   "2026-13-01T00:00:00", "2026-12-02T24:00:00", "yesterday", "",
					   /* a day the month lacks: refused, not carried into the next month */
					   "2026-02-31T00:00:00", "2026-04-31T00:00:00", "2026-02-29T00:00:00",
					   "2026-00-10T00:00:00", "2026-01-00T00:00:00" };
	char why[256];
	uint64_t t;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!zt_report_time(bad[i], 0, 0, DAY, 0, &t, why, sizeof(why)))
			fail_msg("'%s' accepted as %llu", bad[i], (unsigned long long)t);
	assert_int_equal(zt_report_time("2028-02-29T00:00:00", 0, 0, DAY, 0, &t, why, sizeof(why)), 0);
	assert_int_equal(zt_report_time("+12.5", 7, 7, DAY, 0, &t, why, sizeof(why)), 0);
	assert_int_equal(t, 7 + 12500000000ull);
	assert_int_equal(zt_report_time("04:13:38.5", 0, 0, DAY, 0, &t, why, sizeof(why)), 0);
	assert_int_equal(t, (4 * 3600 + 13 * 60 + 38) * S + S / 2);
	/* 2026-12-02T00:00:00Z is 1796169600 s */
	assert_int_equal(zt_report_time("2026-12-02T00:00:01", 0, 0, DAY, 0, &t, why, sizeof(why)), 0);
	assert_int_equal(t, 1796169601ull * S);
}

/* a capture from 23:50 to 00:20: a time of day is the one within it, on whichever day */
static void test_time_of_day_across_midnight(void **state)
{
	const long long off = (long long)(1796169600ull * S) - (long long)(10 * 60 * S); /* mono 0 = 23:50 */
	char why[256];
	uint64_t t, end = 30 * 60 * S;
	(void)state;
	assert_int_equal(zt_report_time("00:05:00", 0, 0, end, off, &t, why, sizeof(why)), 0);
	assert_int_equal(t, 15 * 60 * S);
	assert_int_equal(zt_report_time("23:55:00", 0, 0, end, off, &t, why, sizeof(why)), 0);
	assert_int_equal(t, 5 * 60 * S);
	/* before the capture: its own day, so --since selects from its start */
	assert_int_equal(zt_report_time("23:00:00", 0, 0, end, off, &t, why, sizeof(why)), 0);
	assert_int_equal(t, 0); /* 50 minutes before mono 0: clamped */
}

/* across days: a time of day the capture holds more than once needs its date */
static void test_time_of_day_ambiguous_across_days(void **state)
{
	char why[256];
	uint64_t t;
	(void)state;
	assert_int_equal(zt_report_time("10:00:00", 0, 0, 3 * DAY, 0, &t, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "occurs on more than one day of the capture: give the date"));
	assert_int_equal(zt_report_time("1970-01-02T10:00:00", 0, 0, 3 * DAY, 0, &t, why, sizeof(why)), 0);
	assert_int_equal(t, DAY + 10 * 3600 * S);
}

static void test_filters_across_midnight(void **state)
{
	const long long off = (long long)(1796169600ull * S) - (long long)(10 * 60 * S); /* mono 0 = 23:50 */
	const uint64_t ts[] = { 2 * 60 * S, 12 * 60 * S, 22 * 60 * S }; /* 23:52, 00:02, 00:12 */
	char *out, *err;
	(void)state;
	write_capture(ts, 3, 25 * 60 * S, off, 0, true);
	assert_int_equal(report((struct zt_report_opts){ .since_arg = "23:55", .until_arg = "00:05" }, &out, &err), 64);
	free(out), free(err); /* HH:MM without seconds is not a time */
	assert_int_equal(report((struct zt_report_opts){ .since_arg = "23:55:00", .until_arg = "00:05:00", .json = true },
				&out, &err), 0);
	assert_non_null(strstr(out, "\"counters\":{\"arrived\":1,"));
	assert_string_equal(err, "");
	free(out), free(err);
	assert_int_equal(report((struct zt_report_opts){ .since_arg = "00:00:00", .json = true }, &out, &err), 0);
	assert_non_null(strstr(out, "\"counters\":{\"arrived\":2,"));
	free(out), free(err);
}

/* --until later than the capture's last event, on that event's day (the capture began the day before): the
 * occurrence nearest the capture, not the one on its first day */
static void test_until_after_the_end_across_midnight(void **state)
{
	const long long off = (long long)(1796169600ull * S) - (long long)(10 * 60 * S); /* mono 0 = 23:50 */
	const uint64_t ts[] = { 2 * 60 * S, 12 * 60 * S, 22 * 60 * S }; /* 23:52, 00:02, 00:12 */
	char *out, *err, why[256];
	uint64_t t;
	(void)state;
	write_capture(ts, 3, 25 * 60 * S, off, 0, true);
	assert_int_equal(report((struct zt_report_opts){ .until_arg = "00:30:00", .json = true }, &out, &err), 0);
	assert_non_null(strstr(out, "\"counters\":{\"arrived\":3,"));
	free(out), free(err);
	assert_int_equal(zt_report_time("00:30:00", 0, 0, 25 * 60 * S, off, &t, why, sizeof(why)), 0);
	assert_int_equal(t, 40 * 60 * S);
}

static struct zt_event dequeue(uint64_t ts, uint8_t slot, uint8_t count, uint8_t head, uint8_t tail)
{
	struct zt_event d = ev(ZT_EV_FEATURE, ts, count, head, tail);

	d.flags = VFIO_DEVICE_FEATURE_GET | 13; /* the merged series' ZPCI_ERROR feature */
	d.get_ret = 0, d.ret = 0, d.has_slot = 1, d.slot = slot;
	return d;
}

/* error 1 stored at 1 s and read at 3 s, error 2 at 2 s read at 4 s; the queue full from 5 s to 6 s */
/* losses: the trailer's, or NULL for none */
static void write_window_capture(const struct zt_losses *losses)
{
	struct zt_run m = { 0 };
	struct zt_capture_writer w;
	struct zt_corr c;
	char why[4200];
	struct zt_event es[16];
	int n = 0;

	for (int i = 0; i < 2; i++) {
		es[n++] = ev(ZT_EV_ARRIVAL, (1 + (uint64_t)i) * S, (uint8_t)i, 0, (uint8_t)i);
		es[n] = ev(ZT_EV_ENQUEUE, (1 + (uint64_t)i) * S + 1, (uint8_t)(i + 1), 0, (uint8_t)(i + 1));
		es[n].result = ZT_ENQ_STORED, es[n].has_slot = 1, es[n++].slot = (uint8_t)i;
	}
	es[n++] = dequeue(3 * S, 0, 1, 1, 2);
	es[n++] = dequeue(4 * S, 1, 0, 2, 2);
	for (int i = 0; i < 4; i++) {
		es[n] = ev(ZT_EV_ENQUEUE, 5 * S + (uint64_t)i, (uint8_t)(i + 1), 2, (uint8_t)(3 + i));
		es[n].result = ZT_ENQ_STORED, es[n].has_slot = 1, es[n++].slot = (uint8_t)((2 + i) % 4);
	}
	es[n] = ev(ZT_EV_CLOSE, 6 * S, 0, 0, 0);
	es[n].q_mr = 0, es[n].discarded = 4, es[n++].has_ccdf = 0;
	zt_corr_init(&c);
	assert_int_equal(zt_capture_writer_open(&w, cap, why, sizeof(why)), 0);
	zt_capture_writer_header(&w, &m, 0);
	for (int i = 0; i < n; i++)
		zt_capture_writer_event(&w, &es[i], 0);
	struct zt_snapshot s = { .corr = &c, .now_ns = 7 * S };
	if (losses)
		s.losses = *losses;
	zt_capture_writer_trailer(&w, &s, "exit", NULL);
	assert_int_equal(zt_capture_writer_close(&w), 0);
	zt_corr_free(&c);
}

/* (+T counts from the first event, at 1 s) --since: the queue before the window feeds the model, so a dequeue of an error stored before it matches and the
 * books balance; --until: the observation ends there, so time at full depth runs to it */
static void test_windows_keep_the_queue(void **state)
{
	char *out, *err;
	(void)state;
	write_window_capture(NULL);
	assert_int_equal(report((struct zt_report_opts){ .since_arg = "+0.5", .until_arg = "+3.5", .json = true }, &out,
				&err), 0);
	assert_non_null(strstr(out, "\"arrived\":1,\"queued_before_start\":1,"));
	assert_non_null(strstr(out, "\"counters\":{\"arrived\":1,"));
	assert_non_null(strstr(out, "\"dequeued\":2,"));
	assert_non_null(strstr(out, "\"unmatched\":0"));
	assert_null(strstr(out, "\"balanced\":false"));
	assert_string_equal(err, "");
	free(out), free(err);
	/* the queue is full from 5 s; --until 5.87 s: 870 ms at full depth, not 0 (the last event inside) */
	assert_int_equal(report((struct zt_report_opts){ .since_arg = "+3", .until_arg = "+4.87" }, &out, &err), 0);
	assert_non_null(strstr(out, "   870.000 "));
	free(out), free(err);
	/* --until beyond the capture: clamped to its end (6 s, the close) */
	assert_int_equal(report((struct zt_report_opts){ .until_arg = "+100" }, &out, &err), 0);
	assert_non_null(strstr(out, "  1000.000 "));
	free(out), free(err);
}

/* a capture whose trailer's count disagrees with its lines: its own words and exit status */
static void test_count_mismatch_exit_4(void **state)
{
	const uint64_t ts[] = { 1 * S, 2 * S };
	char *out, *err, line[8192], *rest = NULL;
	size_t restlen = 0;
	FILE *in, *o;
	(void)state;
	write_capture(ts, 2, 3 * S, 0, 0, true);
	/* delete the third line (the first enqueue) */
	in = fopen(cap, "r");
	o = open_memstream(&rest, &restlen);
	for (int k = 0; fgets(line, sizeof(line), in); k++)
		if (k != 2)
			fputs(line, o);
	fclose(in);
	fclose(o);
	in = fopen(cap, "w");
	fputs(rest, in);
	fclose(in);
	free(rest);
	assert_int_equal(report((struct zt_report_opts){ 0 }, &out, &err), ZT_REPORT_EXIT_MISMATCH);
	assert_non_null(strstr(out, "capture: DAMAGED: its trailer's count disagrees with its lines\n"));
	assert_int_equal(lines(err), 1);
	assert_non_null(strstr(err, "its trailer counts 5 events, 4 were read"));
	free(out), free(err);
}

/* a crafted capture cannot drive the terminal: its strings come out with control characters escaped */
static void test_text_report_escapes_strings(void **state)
{
	char *out, *err;
	FILE *f;
	(void)state;
	f = fopen(cap, "w");
	fputs("{\"format\":\"zpcitrace-capture\",\"version\":\"2.4\",\"zpcitrace\":\"v\\u001b[8m\","
	      "\"hooks\":{\"zpci_event_error\\u001b[2J\":\"k\\u001b]0;x\\u0007\"},"
	      "\"hook_modules\":{\"zpci_event_error\\u001b[2J\":\"m\\u009b1A\"}}\n", f);
	fputs("{\"trailer\":true,\"events\":0,\"ended_ns\":1,\"functions\":[{\"fid\":1,\"uid\":\"\\u001bc\","
	      "\"pchid\":\"\\u007f\"}]}\n", f);
	fclose(f);
	assert_int_equal(report((struct zt_report_opts){ 0 }, &out, &err), 0);
	for (const char *p = out; *p; p++)
		if ((*p > 0 && *p < 0x20 && *p != '\n') || *p == 0x7f || (unsigned char)*p == 0x9b)
			fail_msg("a control character 0x%02x in the report:\n%s", (unsigned char)*p, out);
	assert_non_null(strstr(out, "k\\x1b]0;x\\x07"));
	free(out), free(err);
}

/* PECs are found by an index: 65536 distinct PECs cost a probe or two each, not a walk of those seen */
static void test_many_pecs_stay_linear(void **state)
{
	struct zt_corr c;
	(void)state;
	zt_corr_init(&c);
	for (uint32_t i = 0; i < 65536; i++) {
		struct zt_event e = ev(ZT_EV_ARRIVAL, i + 1, 0, 0, 0);
		struct zt_ccdf cc = { .fid = 1, .fh = 1, .pec = (uint16_t)i };

		zt_ccdf_encode(&cc, e.ccdf);
		zt_corr_add(&c, &e, NULL);
		zt_corr_add(&c, &e, NULL);
	}
	assert_int_equal(c.npecs, 65536);
	assert_int_equal(c.fns[0].npec, 65536);
	assert_int_equal(c.pecs[12345].arrived, 2);
	/* every lookup goes through the index (a slot at least), each a few slots at most: never a walk of the PECs
	 * seen */
	assert_true(c.pec_index.probes >= 2 * 65536 && c.fns[0].pec_index.probes >= 2 * 65536);
	assert_true(c.pec_index.probes + c.fns[0].pec_index.probes < 8ull * 2 * 65536);
	zt_corr_free(&c);
}

static void test_empty_selection_said_in_one_line(void **state)
{
	const uint64_t ts[] = { 1 * S, 2 * S };
	char *out, *err;
	(void)state;
	write_capture(ts, 2, 3 * S, 0, 0, true);
	assert_int_equal(report((struct zt_report_opts){ .fid_on = true, .fid = 9 }, &out, &err), 1);
	assert_string_equal(out, "");
	assert_int_equal(lines(err), 1);
	assert_non_null(strstr(err, "the selection is empty: function 0x00000009 has no events in the capture"));
	free(out), free(err);
	assert_int_equal(report((struct zt_report_opts){ .since_arg = "+2", .until_arg = "+1" }, &out, &err), 1);
	assert_int_equal(lines(err), 1);
	assert_non_null(strstr(err, "--until is before --since"));
	free(out), free(err);
	assert_int_equal(report((struct zt_report_opts){ .since_arg = "+100" }, &out, &err), 1);
	assert_int_equal(lines(err), 1);
	assert_non_null(strstr(err, "no events in that time (the capture's run from 00:00:01.000000 to 00:00:03.000000"));
	free(out), free(err);
}

/* a flight-recorder dump whose ring overwrote events says so, in the text and in -j */
static void test_overwritten_said(void **state)
{
	const uint64_t ts[] = { 1 * S };
	char *out, *err;
	(void)state;
	write_capture(ts, 1, 0, 0, 28, true);
	assert_int_equal(report((struct zt_report_opts){ 0 }, &out, &err), 0);
	assert_non_null(strstr(out, "capture: a flight-recorder dump: its ring had overwritten older events\n"));
	assert_non_null(strstr(out, "  events overwritten (flight recorder) 28\n"));
	free(out), free(err);
	assert_int_equal(report((struct zt_report_opts){ .json = true }, &out, &err), 0);
	assert_non_null(strstr(out, "\"capture\":{\"damaged\":false,\"trailer\":true,\"overwritten\":28,"));
	free(out), free(err);
}

/* a capture cut short (no trailer) or with a damaged line: reported, said, exit 3 */
static void test_damaged_exit_3(void **state)
{
	const uint64_t ts[] = { 1 * S, 2 * S };
	char *out, *err;
	FILE *f;
	(void)state;
	write_capture(ts, 2, 0, 0, 0, false);
	assert_int_equal(report((struct zt_report_opts){ .json = true }, &out, &err), 3);
	assert_non_null(strstr(out, "\"capture\":{\"damaged\":true,\"trailer\":false,"));
	assert_non_null(strstr(out, "\"counters\":{\"arrived\":2,"));
	assert_int_equal(lines(err), 1);
	assert_non_null(strstr(err, "is damaged: cut short (no trailer"));
	free(out), free(err);
	f = fopen(cap, "a");
	fputs("{not json}\n", f);
	fclose(f);
	assert_int_equal(report((struct zt_report_opts){ 0 }, &out, &err), 3);
	char want[128];
	snprintf(want, sizeof(want), "  %-36s %d\n", "damaged lines skipped", 1);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want), "  %-36s line 6: not JSON", "first damaged line");
	assert_non_null(strstr(out, want));
	assert_int_equal(lines(err), 1);
	free(out), free(err);
}

static void test_summary_write_error_fails(void **state)
{
	const uint64_t ts[] = { 1 * S };
	struct zt_report_opts o = { .files = { cap }, .nfiles = 1, .json = true };
	FILE *full = fopen("/dev/full", "w"), *fe = fopen("/dev/null", "w");
	(void)state;
	write_capture(ts, 1, 2 * S, 0, 0, true);
	assert_int_equal(zt_report_run(&o, full, fe), 1);
	fclose(full);
	fclose(fe);
}

/* the timeline: a span for each error that waited, discarded or still pending too; the queue depth; marks */
static void test_perfetto_spans_depth_and_marks(void **state)
{
	const uint64_t ts[] = { 1 * S, 2 * S };
	char out_path[160], *out, *err, buf[65536] = "";
	FILE *f;
	(void)state;
	snprintf(out_path, sizeof(out_path), "%s/timeline.json", dir);
	write_capture(ts, 2, 5 * S, 0, 7, true); /* no reader: both discarded at close */
	assert_int_equal(report((struct zt_report_opts){ .perfetto = out_path }, &out, &err), 0);
	free(out), free(err);
	f = fopen(out_path, "r");
	assert_true(fread(buf, 1, sizeof(buf) - 1, f) > 0);
	fclose(f);
	assert_non_null(strstr(buf, "\"tid\":1,\"name\":\"queued\",\"cat\":\"wait\",\"ts\":1000000.001,\"dur\":3999999.999,"
				    "\"args\":{\"slot\":0,\"end\":\"discarded\"}"));
	assert_non_null(strstr(buf, "\"args\":{\"slot\":1,\"end\":\"discarded\"}"));
	assert_non_null(strstr(buf, "\"ph\":\"C\",\"pid\":1,\"tid\":0,\"name\":\"queue depth\",\"ts\":2000000.001,"
				    "\"args\":{\"depth\":2}"));
	assert_non_null(strstr(buf, "\"name\":\"events overwritten before this dump\",\"cat\":\"gap\""));
	/* still pending at the end: a span to the end */
	write_capture(ts, 2, 0, 0, 0, true);
	assert_int_equal(report((struct zt_report_opts){ .perfetto = out_path }, &out, &err), 0);
	free(out), free(err);
	f = fopen(out_path, "r");
	memset(buf, 0, sizeof(buf));
	assert_true(fread(buf, 1, sizeof(buf) - 1, f) > 0);
	fclose(f);
	assert_non_null(strstr(buf, "\"args\":{\"slot\":0,\"end\":\"pending\"}"));
	assert_non_null(strstr(buf, "\"args\":{\"slot\":1,\"end\":\"pending\"}"));
	unlink(out_path);
}

/* the timeline is the report's own correlation: with --since, the dequeues of errors stored before the window match
 * (spans from their enqueue), none is "unmatched"; each loss of the trailer is a mark at the end */
static void test_perfetto_window_keeps_the_queue(void **state)
{
	char out_path[160], *out, *err, buf[65536] = "";
	const struct zt_losses losses = { .n = { [ZT_LOSS_RINGBUF] = 3, [ZT_LOSS_UNTRACED] = 2 } };
	FILE *f;
	(void)state;
	snprintf(out_path, sizeof(out_path), "%s/window.json", dir);
	write_window_capture(&losses);
	assert_int_equal(report((struct zt_report_opts){ .since_arg = "+1.5", .until_arg = "+4.5", .perfetto = out_path },
				&out, &err), 0);
	free(out), free(err);
	f = fopen(out_path, "r");
	assert_true(fread(buf, 1, sizeof(buf) - 1, f) > 0);
	fclose(f);
	assert_null(strstr(buf, "\"unmatched\":1"));
	assert_non_null(strstr(buf, "\"tid\":1,\"name\":\"queued\",\"cat\":\"wait\",\"ts\":1000000.001,\"dur\":1999999.999,"
				    "\"args\":{\"slot\":0,\"end\":\"dequeued\"}"));
	assert_non_null(strstr(buf, "\"args\":{\"slot\":1,\"end\":\"dequeued\"}"));
	assert_non_null(strstr(buf, "\"name\":\"events lost in the ring buffer (when: unknown)\",\"cat\":\"gap\""));
	assert_non_null(strstr(buf, "\"name\":\"returns not traced (when: unknown)\",\"cat\":\"gap\""));
	unlink(out_path);
}

/* --events: the selected events as the live view prints them, with their time, then the summary; -j: the start
 * object, the events' JSON lines, the summary last; a --since window's dequeue of an error stored before it has
 * its wait, as live */
static void test_events_as_the_live_view(void **state)
{
	char *out, *err;
	(void)state;
	write_window_capture(NULL); /* 2 arrivals and stores (1, 2 s), 2 dequeues (3, 4 s), 4 stores (5 s), a close (6 s) */
	assert_int_equal(report((struct zt_report_opts){ .events = true }, &out, &err), 0);
	assert_string_equal(err, "");
	assert_true(!strncmp(out, "00:00:01.000000 arrival  fid=0x00000001 ", 40));
	assert_non_null(strstr(out, "\n00:00:03.000000 dequeue  fid=0x00000001 fh=0x80000001 rc=0 slot=0 "));
	assert_true(strstr(out, "\n00:00:06.000000 close    ") < strstr(out, "\nzpcitrace: summary\n"));
	/* the summary says what the PEC it names means */
	assert_non_null(strstr(out, "\nPECs:\n  0x0004/tprote              IOTA protection exception (unmapped or "
				    "protected DMA address)\n"));
	free(out), free(err);
	assert_int_equal(report((struct zt_report_opts){ .events = true, .no_summary = true, .since_arg = "+1.5" },
				&out, &err), 0);
	assert_int_equal(lines(out), 7); /* 2 dequeues, 4 stores, the close */
	assert_null(strstr(out, "summary"));
	assert_null(strstr(out, "unmatched"));
	assert_non_null(strstr(out, "dequeue  fid=0x00000001 fh=0x80000001 rc=0 slot=0 pec=0x0004/tprote faddr=0xb2d05e00 "
				    "latency_us=1999999.999 "));
	assert_non_null(strstr(out, " comm=\"\"\n")); /* an empty value quoted, as logfmt */
	free(out), free(err);
	assert_int_equal(report((struct zt_report_opts){ .events = true, .json = true, .fid_on = true, .fid = 1 }, &out,
				&err), 0);
	assert_true(!strncmp(out, "{\"event\":\"start\",\"schema\":1,", 28));
	assert_non_null(strstr(out, "\n{\"event\":\"dequeue\",\"ts_ns\":3000000000,\"time\":\"1970-01-01T00:00:03.000000Z\","));
	assert_non_null(strstr(out, "\n{\"event\":\"summary\",\"schema\":1,"));
	assert_int_equal(lines(out), 1 + 11 + 1); /* start, 11 events, summary */
	free(out), free(err);
}

/* --perfetto over its own input is refused, and the input stays */
static void test_perfetto_never_the_input(void **state)
{
	const uint64_t ts[] = { 1 * S };
	char *out, *err, err2[256];
	struct zt_capture c;
	(void)state;
	write_capture(ts, 1, 2 * S, 0, 0, true);
	assert_int_equal(report((struct zt_report_opts){ .perfetto = cap }, &out, &err), 1);
	assert_non_null(strstr(err, "is the input: refusing to write over it"));
	free(out), free(err);
	assert_int_equal(zt_capture_read(cap, &c, err2, sizeof(err2)), 0);
	assert_int_equal(c.nevents, 3);
	zt_capture_free(&c);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(cap, sizeof(cap), "%s/cap.jsonl", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(cap);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times_parsed_strictly),
		cmocka_unit_test(test_time_of_day_across_midnight),
		cmocka_unit_test(test_time_of_day_ambiguous_across_days),
		cmocka_unit_test(test_filters_across_midnight),
		cmocka_unit_test(test_until_after_the_end_across_midnight),
		cmocka_unit_test(test_windows_keep_the_queue),
		cmocka_unit_test(test_count_mismatch_exit_4),
		cmocka_unit_test(test_text_report_escapes_strings),
		cmocka_unit_test(test_many_pecs_stay_linear),
		cmocka_unit_test(test_empty_selection_said_in_one_line),
		cmocka_unit_test(test_overwritten_said),
		cmocka_unit_test(test_damaged_exit_3),
		cmocka_unit_test(test_summary_write_error_fails),
		cmocka_unit_test(test_perfetto_spans_depth_and_marks),
		cmocka_unit_test(test_perfetto_window_keeps_the_queue),
		cmocka_unit_test(test_events_as_the_live_view),
		cmocka_unit_test(test_perfetto_never_the_input),
	};
	return cmocka_run_group_tests_name("report", tests, setup, teardown);
}
