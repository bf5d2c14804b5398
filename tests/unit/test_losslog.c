// SPDX-License-Identifier: GPL-2.0
/* --log-losses: a line per error dropped, lost, discarded or unread too long, with its function, owner, PEC and
 * alert; at most ZT_LOSSLOG_BURST a minute, the rest counted; under the journal, a syslog priority. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/vfio.h>
#include "ccdf.h"
#include "correlate.h"
#include "losslog.h"

#define SEC 1000000000ull

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

struct bed {
	struct zt_corr c;
	struct zt_losslog l;
	char *text;
	size_t len;
	FILE *out;
	uint8_t count, head, tail;
};

static void feed(struct bed *b, const struct zt_event *e)
{
	zt_corr_add(&b->c, e, NULL);
	zt_losslog_event(&b->l, &b->c, e, e->ts_ns);
}

static void error_at(struct bed *b, uint64_t ts)
{
	struct zt_event a = ev(ZT_EV_ARRIVAL, ts, b->count, b->head, b->tail), s;

	feed(b, &a);
	s = ev(ZT_EV_ENQUEUE, ts + 1, b->count, b->head, b->tail);
	if (b->count < ZT_QUEUE_DEPTH) {
		s.result = ZT_ENQ_STORED, s.has_slot = 1, s.slot = b->tail % ZT_QUEUE_DEPTH;
		b->tail++, b->count++;
	} else {
		s.result = ZT_ENQ_DROPPED_FULL;
	}
	s.q_count = b->count, s.q_head = b->head, s.q_tail = b->tail;
	feed(b, &s);
}

static void start(struct bed *b, bool journal)
{
	static const struct zt_owner db = { .pid = 4242, .comm = "qemu-system-s39", .exe = "/usr/bin/qemu", .domain = "db 1" };
	struct zt_event open;

	memset(b, 0, sizeof(*b));
	zt_corr_init(&b->c);
	b->out = open_memstream(&b->text, &b->len);
	zt_losslog_init(&b->l, b->out, journal, ZT_LOSSLOG_UNREAD_S);
	open = ev(ZT_EV_OPEN, 1, 0, 0, 0);
	open.has_ccdf = 0;
	zt_corr_add(&b->c, &open, NULL);
	zt_corr_owner(&b->c, 1, &db);
}

static int lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void stop(struct bed *b)
{
	fclose(b->out);
	free(b->text);
	zt_corr_free(&b->c);
}

static void test_each_loss_one_line(void **state)
{
	struct bed b;
	(void)state;

	start(&b, false);
	for (int i = 0; i < 6; i++)
		error_at(&b, (uint64_t)(i + 1) * SEC);
	/* a read that took the head and lost it, then a close with three queued */
	struct zt_event lost = ev(ZT_EV_FEATURE, 10 * SEC, 3, 1, 4);
	lost.flags = VFIO_DEVICE_FEATURE_GET | 13, lost.get_ret = 0, lost.ret = -EFAULT, lost.has_slot = 1, lost.slot = 0;
	feed(&b, &lost);
	struct zt_event close = ev(ZT_EV_CLOSE, 11 * SEC, 0, 0, 0);
	close.q_mr = 0, close.discarded = 3, close.has_ccdf = 0;
	feed(&b, &close);
	fflush(b.out);
	assert_int_equal(lines(b.text, "zpcitrace: loss=dropped n=1 fid=0x00000001 pci=- pec=0x0004/tprote "
				       "domain=\"db 1\" pid=4242 comm=qemu-system-s39 consumer="), 2);
	assert_int_equal(lines(b.text, "(runbook: ZpciErrorsDropped)\n"), 2);
	assert_int_equal(lines(b.text, "loss=lost n=1"), 1);
	assert_int_equal(lines(b.text, "loss=discarded n=3 fid=0x00000001 pci=- pec=-"), 1);
	assert_int_equal(lines(b.text, "<4>"), 0);
	stop(&b);
}

/* an error queued 300 s is said once, with the alert that fits its consumer */
static void test_unread_said_once(void **state)
{
	struct bed b;
	(void)state;

	start(&b, true);
	error_at(&b, 1 * SEC);
	struct zt_event n = ev(ZT_EV_NOTIFY, 2 * SEC, 1, 0, 1);
	n.has_ccdf = 0;
	feed(&b, &n);
	zt_losslog_tick(&b.l, &b.c, 200 * SEC);
	zt_losslog_tick(&b.l, &b.c, 302 * SEC);
	zt_losslog_tick(&b.l, &b.c, 900 * SEC);
	fflush(b.out);
	assert_int_equal(lines(b.text, "<4>zpcitrace: loss=unread n=1"), 1);
	assert_int_equal(lines(b.text, "consumer=never_reads: queued this long and not read: the guest does not know of "
				       "it (runbook: ZpciGuestStopped)\n"), 1);
	stop(&b);
}

/* a storm: ZT_LOSSLOG_BURST lines a minute, then one that counts the rest */
static void test_burst_limited(void **state)
{
	struct bed b;
	(void)state;

	start(&b, false);
	for (int i = 0; i < 4 + 25; i++)
		error_at(&b, SEC + (uint64_t)i * 1000);
	zt_losslog_tick(&b.l, &b.c, 2 * SEC);
	fflush(b.out);
	assert_int_equal(lines(b.text, "loss=dropped"), ZT_LOSSLOG_BURST);
	assert_int_equal(lines(b.text, "held back"), 0);
	zt_losslog_tick(&b.l, &b.c, 62 * SEC);
	fflush(b.out);
	assert_int_equal(lines(b.text, "zpcitrace: 15 more loss lines held back in the last 60 s"), 1);
	/* the next minute has room again */
	error_at(&b, 63 * SEC);
	zt_losslog_end(&b.l);
	fflush(b.out);
	assert_int_equal(lines(b.text, "loss=dropped"), ZT_LOSSLOG_BURST + 1);
	stop(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_loss_one_line),
		cmocka_unit_test(test_unread_said_once),
		cmocka_unit_test(test_burst_limited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
