// SPDX-License-Identifier: GPL-2.0
/* Summary counters: every event lands in exactly the counter an operator expects, per function and in total. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <linux/vfio.h>
#include "correlate.h"
#include "summary.h"

static struct zt_event ev(uint32_t type)
{
	struct zt_event e;
	memset(&e, 0, sizeof(e));
	e.type = type;
	e.get_ret = ZT_NOT_CALLED;
	e.has_fn = 1;
	e.fid = 1;
	return e;
}

static struct zt_event dequeue(int ret, int get_ret)
{
	struct zt_event e = ev(ZT_EV_FEATURE);
	e.flags = VFIO_DEVICE_FEATURE_GET | 13;
	e.ret = ret;
	e.get_ret = get_ret;
	return e;
}

static void test_counts(void **state)
{
	struct zt_corr s;
	struct zt_event e;
	(void)state;
	zt_corr_init(&s);
	for (int i = 0; i < 6; i++)
		zt_corr_add(&s, &(struct zt_event){ .has_fn = 1, .fid = 1, .type = ZT_EV_ARRIVAL }, NULL);
	for (int i = 0; i < 4; i++)
		zt_corr_add(&s, &(struct zt_event){ .has_fn = 1, .fid = 1, .type = ZT_EV_ENQUEUE, .result = ZT_ENQ_STORED }, NULL);
	for (int i = 0; i < 2; i++)
		zt_corr_add(&s, &(struct zt_event){ .has_fn = 1, .fid = 1, .type = ZT_EV_ENQUEUE, .result = ZT_ENQ_DROPPED_FULL }, NULL);
	zt_corr_add(&s, &(struct zt_event){ .has_fn = 1, .fid = 1, .type = ZT_EV_ENQUEUE, .result = ZT_ENQ_NOT_STORED }, NULL);
	zt_corr_add(&s, &(struct zt_event){ .has_fn = 1, .fid = 1, .type = ZT_EV_ENQUEUE, .result = ZT_ENQ_UNKNOWN }, NULL);
	e = dequeue(0, 0);
	zt_corr_add(&s, &e, NULL);
	e = dequeue(-ENOMSG, -ENOMSG);
	zt_corr_add(&s, &e, NULL);
	e = dequeue(-EFAULT, 0); /* entry taken, copy failed */
	zt_corr_add(&s, &e, NULL);
	e = dequeue(-EFAULT, ZT_NOT_CALLED); /* bad argument: nothing taken */
	zt_corr_add(&s, &e, NULL);
	e = dequeue(0, 0);
	e.flags |= VFIO_DEVICE_FEATURE_PROBE;
	zt_corr_add(&s, &e, NULL);
	e = ev(ZT_EV_FEATURE);
	e.flags = VFIO_DEVICE_FEATURE_SET | 13;
	zt_corr_add(&s, &e, NULL);
	zt_corr_add(&s, &(struct zt_event){ .has_fn = 1, .fid = 1, .type = ZT_EV_CLOSE, .discarded = 2 }, NULL);
	zt_corr_add(&s, &(struct zt_event){ .has_fn = 1, .fid = 1, .type = ZT_EV_CLOSE, .discarded = 1 }, NULL);
	zt_corr_add(&s, &(struct zt_event){ .has_fn = 1, .fid = 1, .type = ZT_EV_OPEN }, NULL);
	zt_corr_add(&s, &(struct zt_event){ .has_fn = 1, .fid = 1, .type = ZT_EV_NOTIFY }, NULL);
	zt_corr_add(&s, &(struct zt_event){ .has_fn = 1, .fid = 1, .type = ZT_EV_AVAIL }, NULL);
	zt_corr_add(&s, &(struct zt_event){ .has_fn = 1, .fid = 1, .type = ZT_EV_RESET }, NULL);
	assert_int_equal(s.total[ZT_C_ARRIVED], 6);
	assert_int_equal(s.total[ZT_C_STORED], 4);
	assert_int_equal(s.total[ZT_C_DROPPED_FULL], 2);
	assert_int_equal(s.total[ZT_C_NOT_STORED], 1);
	assert_int_equal(s.total[ZT_C_ENQUEUE_UNKNOWN], 1);
	assert_int_equal(s.total[ZT_C_DEQUEUED], 1);
	assert_int_equal(s.total[ZT_C_EMPTY], 1);
	assert_int_equal(s.total[ZT_C_LOST_EFAULT], 1);
	assert_int_equal(s.total[ZT_C_READ_FAILED], 1);
	assert_int_equal(s.total[ZT_C_PROBES], 1);
	assert_int_equal(s.total[ZT_C_OTHER_FEATURE], 1);
	assert_int_equal(s.total[ZT_C_CLOSES], 2);
	assert_int_equal(s.total[ZT_C_DISCARDED], 3);
	assert_int_equal(s.total[ZT_C_OPENS], 1);
	assert_int_equal(s.total[ZT_C_NOTIFIED], 1);
	assert_int_equal(s.total[ZT_C_AVAIL], 1);
	assert_int_equal(s.total[ZT_C_RESETS], 1);
	/* per function the same */
	assert_int_equal(zt_corr_fn(&s, 1)->n[ZT_C_DISCARDED], 3);
	assert_int_equal(zt_corr_fn(&s, 1)->n[ZT_C_LOST_EFAULT], 1);
	zt_corr_free(&s);
}

/* v12 dequeues inline: the BPF side sets get_ret from the queue's head (0: an entry taken, -ENOMSG: the call answered
 * an empty queue, which v12 does with rc 0 and pec 0); the meaning is the merged form's */
static void test_v12_outcomes(void **state)
{
	struct zt_corr s;
	struct zt_event e;
	(void)state;
	zt_corr_init(&s);
	e = dequeue(0, -ENOMSG); /* empty */
	e.v12 = 1;
	zt_corr_add(&s, &e, NULL);
	e = dequeue(0, 0); /* an entry, answered */
	e.v12 = 1, e.v12_pec = 4;
	zt_corr_add(&s, &e, NULL);
	e = dequeue(-EFAULT, 0); /* an entry, whose answer could not be written */
	e.v12 = 1;
	zt_corr_add(&s, &e, NULL);
	e = dequeue(-EFAULT, ZT_NOT_CALLED); /* nothing taken, nothing written */
	e.v12 = 1;
	zt_corr_add(&s, &e, NULL);
	assert_int_equal(s.total[ZT_C_EMPTY], 1);
	assert_int_equal(s.total[ZT_C_DEQUEUED], 1);
	assert_int_equal(s.total[ZT_C_LOST_EFAULT], 1);
	assert_int_equal(s.total[ZT_C_READ_FAILED], 1);
	/* the merged form's rc 0 with no dequeue is no empty read */
	e = dequeue(0, -ENOMSG);
	zt_corr_add(&s, &e, NULL);
	assert_int_equal(s.total[ZT_C_EMPTY], 1);
	assert_int_equal(s.total[ZT_C_READ_FAILED], 2);
	zt_corr_free(&s);
}

static void test_summary_text_and_json(void **state)
{
	struct zt_corr s;
	char buf[16384] = "";
	FILE *f;
	(void)state;
	zt_corr_init(&s);
	zt_corr_add(&s, &(struct zt_event){ .has_fn = 1, .fid = 1, .type = ZT_EV_ENQUEUE, .result = ZT_ENQ_DROPPED_FULL }, NULL);
	zt_corr_add(&s, &(struct zt_event){ .has_fn = 1, .fid = 1, .type = ZT_EV_ENQUEUE, .result = ZT_ENQ_DROPPED_FULL }, NULL);
	struct zt_snapshot sum = { .corr = &s, .losses.n = { [ZT_LOSS_RINGBUF] = 5, [ZT_LOSS_UNTRACED] = 4 } };
	f = fmemopen(buf, sizeof(buf) - 1, "w");
	zt_summary_text(&sum, f);
	fclose(f);
	assert_non_null(strstr(buf, "  dropped, queue full" "                  2\n"));
	assert_non_null(strstr(buf, "  events lost in the ring buffer" "       5\n"));
	assert_non_null(strstr(buf, "  returns not traced" "                   4\n"));
	for (int c = 0; c < ZT_NR_COUNTERS; c++)
		assert_non_null(strstr(buf, zt_counter_name(c)));
	/* dropped errors and no reader: flagged */
	assert_non_null(strstr(buf, "function 0x00000001: errors were queued and no process ever asked for them"));
	memset(buf, 0, sizeof(buf));
	f = fmemopen(buf, sizeof(buf) - 1, "w");
	zt_summary_json(&sum, f);
	fclose(f);
	/* identifiers as keys, whatever the text's words; the schema's version first */
	assert_non_null(strstr(buf, "{\"event\":\"summary\",\"schema\":1,\"counters\":{\"arrived\":0,"));
	assert_non_null(strstr(buf, "\"dropped\":2,"));
	assert_null(strstr(buf, "dropped, queue full"));
	assert_non_null(strstr(buf, "\"no_consumer\":true"));
	assert_non_null(strstr(buf, "\"unmatched\":0,\"unseen\":0,\"out_of_order\":0,\"ringbuf_lost\":5,\"untraced_returns\":4"));
	for (int i = 0; i < ZT_NR_LOSSES; i++) { /* every loss of the table, by its key */
		char key[64];

		snprintf(key, sizeof(key), "\"%s\":", zt_loss_facts[i].key);
		assert_non_null(strstr(buf, key));
	}
	assert_non_null(strstr(buf, "\"counters\":{\"arrived\":0,\"queued_before_start\":0,\"stored\":0,\"dropped\":2,"));
	zt_corr_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_v12_outcomes),
		cmocka_unit_test(test_summary_text_and_json),
	};
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
