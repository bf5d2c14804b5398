// SPDX-License-Identifier: GPL-2.0
/* Exit-summary counters: every event lands in exactly the counter an operator expects. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <linux/vfio.h>
#include "stats.h"

static struct zt_event ev(uint32_t type)
{
	struct zt_event e;
	memset(&e, 0, sizeof(e));
	e.type = type;
	e.get_ret = ZT_NOT_CALLED;
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
	struct zt_stats s = { 0 };
	struct zt_event e;
	(void)state;
	for (int i = 0; i < 6; i++)
		zt_stats_add(&s, &(struct zt_event){ .type = ZT_EV_ARRIVAL });
	for (int i = 0; i < 4; i++)
		zt_stats_add(&s, &(struct zt_event){ .type = ZT_EV_ENQUEUE, .result = ZT_ENQ_STORED });
	for (int i = 0; i < 2; i++)
		zt_stats_add(&s, &(struct zt_event){ .type = ZT_EV_ENQUEUE, .result = ZT_ENQ_DROPPED_FULL });
	zt_stats_add(&s, &(struct zt_event){ .type = ZT_EV_ENQUEUE, .result = ZT_ENQ_NOT_STORED });
	zt_stats_add(&s, &(struct zt_event){ .type = ZT_EV_ENQUEUE, .result = ZT_ENQ_UNKNOWN });
	e = dequeue(0, 0);
	zt_stats_add(&s, &e);
	e = dequeue(-ENOMSG, -ENOMSG);
	zt_stats_add(&s, &e);
	e = dequeue(-EFAULT, 0); /* entry taken, copy failed */
	zt_stats_add(&s, &e);
	e = dequeue(-EFAULT, ZT_NOT_CALLED); /* bad argument: nothing taken */
	zt_stats_add(&s, &e);
	e = dequeue(0, 0);
	e.flags |= VFIO_DEVICE_FEATURE_PROBE;
	zt_stats_add(&s, &e);
	e = ev(ZT_EV_FEATURE);
	e.flags = VFIO_DEVICE_FEATURE_SET | 13;
	zt_stats_add(&s, &e);
	zt_stats_add(&s, &(struct zt_event){ .type = ZT_EV_CLOSE, .discarded = 2 });
	zt_stats_add(&s, &(struct zt_event){ .type = ZT_EV_CLOSE, .discarded = 1 });
	zt_stats_add(&s, &(struct zt_event){ .type = ZT_EV_OPEN });
	zt_stats_add(&s, &(struct zt_event){ .type = ZT_EV_NOTIFY });
	zt_stats_add(&s, &(struct zt_event){ .type = ZT_EV_AVAIL });
	zt_stats_add(&s, &(struct zt_event){ .type = ZT_EV_RESET });
	assert_int_equal(s.n[ZT_C_ARRIVED], 6);
	assert_int_equal(s.n[ZT_C_STORED], 4);
	assert_int_equal(s.n[ZT_C_DROPPED_FULL], 2);
	assert_int_equal(s.n[ZT_C_NOT_STORED], 1);
	assert_int_equal(s.n[ZT_C_ENQUEUE_UNKNOWN], 1);
	assert_int_equal(s.n[ZT_C_DEQUEUED], 1);
	assert_int_equal(s.n[ZT_C_EMPTY], 1);
	assert_int_equal(s.n[ZT_C_LOST_EFAULT], 1);
	assert_int_equal(s.n[ZT_C_READ_FAILED], 1);
	assert_int_equal(s.n[ZT_C_PROBES], 1);
	assert_int_equal(s.n[ZT_C_OTHER_FEATURE], 1);
	assert_int_equal(s.n[ZT_C_CLOSES], 2);
	assert_int_equal(s.n[ZT_C_DISCARDED], 3);
	assert_int_equal(s.n[ZT_C_OPENS], 1);
	assert_int_equal(s.n[ZT_C_NOTIFIED], 1);
	assert_int_equal(s.n[ZT_C_AVAIL], 1);
	assert_int_equal(s.n[ZT_C_RESETS], 1);
}

/* v12 answers an empty queue with rc 0 and pec 0 */
static void test_v12_empty_read(void **state)
{
	struct zt_stats s = { 0 };
	struct zt_event e = dequeue(0, ZT_NOT_CALLED);
	(void)state;
	e.v12 = 1;
	zt_stats_add(&s, &e);
	e.v12_pec = 4;
	zt_stats_add(&s, &e);
	assert_int_equal(s.n[ZT_C_EMPTY], 1);
	assert_int_equal(s.n[ZT_C_DEQUEUED], 1);
}

static void test_print(void **state)
{
	struct zt_stats s = { 0 };
	char buf[4096] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	(void)state;
	s.n[ZT_C_DROPPED_FULL] = 2;
	zt_stats_print(&s, 5, f);
	fclose(f);
	assert_non_null(strstr(buf, "  dropped, queue full" "                  2\n"));
	assert_non_null(strstr(buf, "  events lost in the ring buffer" "       5\n"));
	for (int c = 0; c < ZT_NR_COUNTERS; c++)
		assert_non_null(strstr(buf, zt_counter_name(c)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_v12_empty_read),
		cmocka_unit_test(test_print),
	};
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
