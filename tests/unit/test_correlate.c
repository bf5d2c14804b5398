// SPDX-License-Identifier: GPL-2.0
/* The correlator on synthetic event streams shaped like the kernel's (queue state read after each step). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <linux/vfio.h>
#include "ccdf.h"
#include "correlate.h"

#define MS 1000000ull

static struct zt_event base(uint32_t type, uint32_t fid, uint64_t ts)
{
	struct zt_event e;
	memset(&e, 0, sizeof(e));
	e.type = type;
	e.ts_ns = ts;
	e.has_fn = 1;
	e.fid = fid;
	e.fh = 0x80000000 | fid;
	e.get_ret = ZT_NOT_CALLED;
	e.q_valid = 1;
	e.q_mr = 1;
	return e;
}

static void with_ccdf(struct zt_event *e, uint16_t pec, uint64_t faddr)
{
	struct zt_ccdf c = { .fh = e->fh, .fid = e->fid, .pec = pec, .faddr = faddr };
	zt_ccdf_encode(&c, e->ccdf);
	e->has_ccdf = 1;
}

/* a queue model that produces the events the kernel would: tail/head free-running u8 */
struct queue {
	uint8_t head, tail, count;
};

static void arrive_store(struct zt_corr *c, uint32_t fid, struct queue *q, uint64_t ts, uint16_t pec)
{
	struct zt_event e = base(ZT_EV_ARRIVAL, fid, ts);
	with_ccdf(&e, pec, ts);
	e.q_count = q->count, e.q_head = q->head, e.q_tail = q->tail;
	zt_corr_add(c, &e, NULL);
	e = base(ZT_EV_ENQUEUE, fid, ts + 1);
	with_ccdf(&e, pec, ts);
	if (q->count < ZT_QUEUE_DEPTH) {
		e.result = ZT_ENQ_STORED;
		e.has_slot = 1;
		e.slot = q->tail % ZT_QUEUE_DEPTH;
		q->tail++;
		q->count++;
	} else {
		e.result = ZT_ENQ_DROPPED_FULL;
	}
	e.q_count = q->count, e.q_head = q->head, e.q_tail = q->tail;
	zt_corr_add(c, &e, NULL);
}

static struct zt_match dequeue(struct zt_corr *c, uint32_t fid, struct queue *q, uint64_t ts, int ret)
{
	struct zt_event e = base(ZT_EV_FEATURE, fid, ts);
	struct zt_match n;
	e.flags = VFIO_DEVICE_FEATURE_GET | 13;
	if (!q->count) {
		e.ret = e.get_ret = -ENOMSG;
	} else {
		e.get_ret = 0;
		e.ret = ret;
		e.has_slot = 1;
		e.slot = q->head % ZT_QUEUE_DEPTH;
		with_ccdf(&e, 4, 0);
		q->head++;
		q->count--;
	}
	e.q_count = q->count, e.q_head = q->head, e.q_tail = q->tail;
	zt_corr_add(c, &e, &n);
	return n;
}

static void test_wrap_at_256(void **state)
{
	struct zt_corr c;
	struct queue q = { 250, 250, 0 }; /* as if the function had seen 250 errors before tracing */
	(void)state;
	zt_corr_init(&c);
	for (int i = 0; i < 300; i++) {
		arrive_store(&c, 1, &q, (uint64_t)i * 10 * MS, 4);
		struct zt_match n = dequeue(&c, 1, &q, (uint64_t)i * 10 * MS + 3 * MS, 0);
		assert_true(n.matched);
		assert_int_equal(n.latency_ns, 3 * MS - 1);
	}
	struct zt_fn *f = zt_corr_fn(&c, 1);
	assert_int_equal(f->n[ZT_C_STORED], 300);
	assert_int_equal(f->n[ZT_C_DEQUEUED], 300);
	assert_int_equal(f->unmatched, 0);
	assert_int_equal(f->enq_deq.count, 300);
	zt_corr_free(&c);
}

static void test_overflow_fifo_and_full_time(void **state)
{
	struct zt_corr c;
	struct queue q = { 0, 0, 0 };
	(void)state;
	zt_corr_init(&c);
	for (int i = 0; i < 6; i++)
		arrive_store(&c, 7, &q, (uint64_t)(i + 1) * MS, 4);
	/* full from the 4th store (4 ms + 1 ns) to the first dequeue (100 ms) */
	for (int i = 0; i < 4; i++) {
		struct zt_match n = dequeue(&c, 7, &q, (uint64_t)(100 + i) * MS, 0);
		assert_true(n.matched);
		assert_int_equal(n.latency_ns, (uint64_t)(100 + i - (i + 1)) * MS - 1); /* FIFO: the i-th stored */
	}
	assert_false(dequeue(&c, 7, &q, 200 * MS, 0).matched); /* -ENOMSG */
	struct zt_fn *f = zt_corr_fn(&c, 7);
	assert_int_equal(f->n[ZT_C_ARRIVED], 6);
	assert_int_equal(f->n[ZT_C_STORED], 4);
	assert_int_equal(f->n[ZT_C_DROPPED_FULL], 2);
	assert_int_equal(f->n[ZT_C_DEQUEUED], 4);
	assert_int_equal(f->n[ZT_C_EMPTY], 1);
	assert_int_equal(f->max_depth, 4);
	assert_int_equal(zt_fn_full_ns(f, 500 * MS), 100 * MS - (4 * MS + 1));
	assert_int_equal(zt_fn_pending(f), 0);
	zt_corr_free(&c);
}

static void test_discard_at_close_and_oldest_pending(void **state)
{
	struct zt_corr c;
	struct queue q = { 0, 0, 0 };
	(void)state;
	zt_corr_init(&c);
	arrive_store(&c, 3, &q, 10 * MS, 4);
	arrive_store(&c, 3, &q, 20 * MS, 2);
	struct zt_fn *f = zt_corr_fn(&c, 3);
	assert_int_equal(zt_fn_pending(f), 2);
	assert_int_equal(zt_fn_oldest_pending_ns(f, 60 * MS), 50 * MS - 1);
	assert_int_equal(zt_fn_oldest_pending_at(f), 10 * MS + 1);
	assert_true(zt_fn_no_consumer(f));
	struct zt_event e = base(ZT_EV_CLOSE, 3, 70 * MS);
	e.discarded = 2;
	e.q_mr = 0;
	zt_corr_add(&c, &e, NULL);
	assert_int_equal(f->n[ZT_C_DISCARDED], 2);
	assert_int_equal(f->n[ZT_C_CLOSES], 1);
	assert_int_equal(zt_fn_pending(f), 0);
	assert_int_equal(zt_fn_oldest_pending_ns(f, 80 * MS), 0);
	assert_int_equal(zt_fn_oldest_pending_at(f), 0);
	zt_corr_free(&c);
}

static void test_dequeue_without_enqueue_is_not_guessed(void **state)
{
	struct zt_corr c;
	struct queue q = { 9, 11, 2 }; /* two errors queued before tracing started */
	(void)state;
	zt_corr_init(&c);
	struct zt_match n = dequeue(&c, 5, &q, 1 * MS, 0);
	assert_false(n.matched);
	assert_true(n.unmatched);
	arrive_store(&c, 5, &q, 2 * MS, 4); /* stored at counter 11, slot 3 */
	n = dequeue(&c, 5, &q, 3 * MS, 0);   /* takes counter 10: still unmatched */
	assert_true(n.unmatched);
	n = dequeue(&c, 5, &q, 4 * MS, 0);   /* counter 11: the traced one */
	assert_true(n.matched);
	assert_int_equal(n.latency_ns, 2 * MS - 1);
	struct zt_fn *f = zt_corr_fn(&c, 5);
	assert_int_equal(f->unmatched, 2);
	assert_int_equal(f->enq_deq.count, 1);
	assert_int_equal(c.unmatched_total, 2);
	zt_corr_free(&c);
}

static void test_interleaved_functions(void **state)
{
	struct zt_corr c;
	struct queue a = { 0, 0, 0 }, b = { 0, 0, 0 };
	(void)state;
	zt_corr_init(&c);
	arrive_store(&c, 1, &a, 1 * MS, 4);
	arrive_store(&c, 2, &b, 2 * MS, 2); /* same slot 0, another function */
	arrive_store(&c, 1, &a, 3 * MS, 4);
	struct zt_match n2 = dequeue(&c, 2, &b, 10 * MS, 0);
	struct zt_match n1 = dequeue(&c, 1, &a, 11 * MS, 0);
	struct zt_match n1b = dequeue(&c, 1, &a, 12 * MS, 0);
	assert_int_equal(n2.latency_ns, 8 * MS - 1);
	assert_int_equal(n1.latency_ns, 10 * MS - 1);
	assert_int_equal(n1b.latency_ns, 9 * MS - 1);
	assert_int_equal(zt_corr_fn(&c, 1)->enq_deq.count, 2);
	assert_int_equal(zt_corr_fn(&c, 2)->enq_deq.count, 1);
	/* per PEC: fid 1's two errors are PEC 4, fid 2's is PEC 2 */
	for (size_t i = 0; i < c.npecs; i++)
		assert_int_equal(c.pecs[i].enq_deq.count, c.pecs[i].pec == 4 ? 2 : 1);
	zt_corr_free(&c);
}

static void test_lost_after_dequeue(void **state)
{
	struct zt_corr c;
	struct queue q = { 0, 0, 0 };
	(void)state;
	zt_corr_init(&c);
	arrive_store(&c, 1, &q, 1 * MS, 4);
	struct zt_match n = dequeue(&c, 1, &q, 2 * MS, -EFAULT);
	assert_true(n.matched);
	struct zt_fn *f = zt_corr_fn(&c, 1);
	assert_int_equal(f->n[ZT_C_LOST_EFAULT], 1);
	assert_int_equal(f->n[ZT_C_DEQUEUED], 0);
	assert_int_equal(f->enq_deq.count, 0); /* a lost error has no delivery latency */
	assert_int_equal(zt_fn_pending(f), 0);
	assert_false(zt_fn_no_consumer(f));
	zt_corr_free(&c);
}

static void test_notify_and_reset_latencies(void **state)
{
	struct zt_corr c;
	struct queue q = { 0, 0, 0 };
	(void)state;
	zt_corr_init(&c);
	arrive_store(&c, 1, &q, 1 * MS, 4);
	struct zt_event e = base(ZT_EV_NOTIFY, 1, 1 * MS + 500);
	zt_corr_add(&c, &e, NULL);
	dequeue(&c, 1, &q, 5 * MS, 0);
	e = base(ZT_EV_RESET, 1, 8 * MS);
	zt_corr_add(&c, &e, NULL);
	struct zt_fn *f = zt_corr_fn(&c, 1);
	assert_int_equal(f->arr_notify.count, 1);
	assert_int_equal(f->arr_notify.max_ns, 500);
	assert_int_equal(f->deq_reset.count, 1);
	assert_int_equal(f->deq_reset.max_ns, 3 * MS);
	zt_corr_free(&c);
}

/* read_queues at start: one ZT_EV_QUEUE, then a ZT_EV_QUEUED per error in the queue q */
static void read_queues(struct zt_corr *c, uint32_t fid, const struct queue *q, uint64_t ts)
{
	struct zt_event e = base(ZT_EV_QUEUE, fid, ts);

	e.q_count = q->count, e.q_head = q->head, e.q_tail = q->tail;
	zt_corr_add(c, &e, NULL);
	for (uint8_t k = 0; k < q->count; k++) {
		struct zt_event x = e;

		x.type = ZT_EV_QUEUED;
		x.has_slot = 1;
		x.slot = (uint8_t)(q->head + k) % ZT_QUEUE_DEPTH;
		with_ccdf(&x, 4, 0x1000 + k);
		zt_corr_add(c, &x, NULL);
	}
}

static void assert_balanced(const struct zt_fn *f)
{
	struct zt_books b;

	zt_fn_books(f, &b);
	assert_true(b.balanced);
	assert_int_equal(b.arrived + b.at_start, b.dropped + b.not_stored + b.unknown + b.not_queued + b.dequeued + b.lost +
						 b.discarded + b.pending + b.unseen);
}

/* v12's inline dequeue as the BPF side reports it: the head moved (get_ret 0, the slot behind the head, the CCDF
 * read from that slot) or did not (the empty answer: rc 0, get_ret -ENOMSG) */
static struct zt_match dequeue_v12(struct zt_corr *c, uint32_t fid, struct queue *q, uint64_t ts, int ret)
{
	struct zt_event e = base(ZT_EV_FEATURE, fid, ts);
	struct zt_match n;
	e.flags = VFIO_DEVICE_FEATURE_GET | 12;
	e.v12 = 1;
	e.ret = ret;
	if (!q->count) {
		e.get_ret = ret ? ZT_NOT_CALLED : -ENOMSG;
	} else {
		e.get_ret = 0;
		e.v12_pec = ret ? 0 : 4;
		q->head++;
		q->count--;
		e.has_slot = 1;
		e.slot = (uint8_t)(q->head - 1) % ZT_QUEUE_DEPTH;
		with_ccdf(&e, 4, 0x100 + e.slot);
	}
	e.q_count = q->count, e.q_head = q->head, e.q_tail = q->tail;
	zt_corr_add(c, &e, &n);
	return n;
}

/* the issue-16 scenario on the model: empty read, -EFAULT on an empty queue, overflow (4 stored, 1 dropped), two
 * reads, one lost, three more stored, four discarded at close: the books balance */
static void test_v12_dequeues_match_by_slot(void **state)
{
	struct zt_corr c;
	struct queue q = { 0, 0, 0 };
	struct zt_match n;
	(void)state;
	zt_corr_init(&c);
	assert_false(dequeue_v12(&c, 5, &q, 1 * MS, 0).matched);
	assert_false(dequeue_v12(&c, 5, &q, 2 * MS, -EFAULT).matched);
	for (int i = 0; i < 5; i++)
		arrive_store(&c, 5, &q, (uint64_t)(10 + i) * MS, 4);
	for (int i = 0; i < 2; i++) {
		n = dequeue_v12(&c, 5, &q, (uint64_t)(100 + i) * MS, 0);
		assert_true(n.matched);
		assert_int_equal(n.latency_ns, (uint64_t)(100 + i - (10 + i)) * MS - 1); /* FIFO */
	}
	n = dequeue_v12(&c, 5, &q, 200 * MS, -EFAULT);
	assert_true(n.matched); /* the entry it took, lost */
	for (int i = 0; i < 3; i++)
		arrive_store(&c, 5, &q, (uint64_t)(300 + i) * MS, 4);
	struct zt_event cl = base(ZT_EV_CLOSE, 5, 400 * MS);
	cl.discarded = q.count;
	zt_corr_add(&c, &cl, NULL);
	struct zt_fn *f = zt_corr_fn(&c, 5);
	assert_int_equal(f->n[ZT_C_STORED], 7);
	assert_int_equal(f->n[ZT_C_DROPPED_FULL], 1);
	assert_int_equal(f->n[ZT_C_DEQUEUED], 2);
	assert_int_equal(f->n[ZT_C_EMPTY], 1);
	assert_int_equal(f->n[ZT_C_READ_FAILED], 1);
	assert_int_equal(f->n[ZT_C_LOST_EFAULT], 1);
	assert_int_equal(f->n[ZT_C_DISCARDED], 4);
	assert_int_equal(f->enq_deq.count, 2);
	assert_int_equal(f->unmatched, 0);
	assert_balanced(f);
	zt_corr_free(&c);
}

static void test_queued_before_start_matched_by_slot(void **state)
{
	struct zt_corr c;
	struct queue q = { 9, 11, 2 }; /* two errors queued before tracing started, as read_queues finds them */
	(void)state;
	zt_corr_init(&c);
	read_queues(&c, 5, &q, 1 * MS);
	struct zt_fn *f = zt_corr_fn(&c, 5);
	assert_int_equal(f->n[ZT_C_AT_START], 2);
	assert_int_equal(zt_fn_pending(f), 2);
	struct zt_match n = dequeue(&c, 5, &q, 4 * MS, 0); /* counter 9 */
	assert_true(n.matched);
	assert_true(n.at_start);
	assert_int_equal(n.latency_ns, 3 * MS); /* at least since the start; nothing invented */
	assert_int_equal(f->enq_deq.count, 0);   /* not a latency sample */
	assert_int_equal(f->unmatched, 0);
	struct zt_event e = base(ZT_EV_CLOSE, 5, 5 * MS); /* the other one is discarded */
	e.discarded = 1;
	e.q_mr = 0;
	zt_corr_add(&c, &e, NULL);
	assert_int_equal(f->n[ZT_C_DISCARDED], 1);
	assert_balanced(f);
	zt_corr_free(&c);
}

static void test_store_seen_both_at_start_and_traced_counts_once(void **state)
{
	struct zt_corr c;
	struct queue q = { 0, 1, 1 }; /* stored while tracing started: in the queues read, and its event after */
	(void)state;
	zt_corr_init(&c);
	read_queues(&c, 2, &q, 1 * MS);
	struct zt_event e = base(ZT_EV_ENQUEUE, 2, 2 * MS);
	with_ccdf(&e, 4, 0x1000);
	e.result = ZT_ENQ_STORED, e.has_slot = 1, e.slot = 0, e.q_count = 1, e.q_head = 0, e.q_tail = 1;
	zt_corr_add(&c, &e, NULL);
	struct zt_fn *f = zt_corr_fn(&c, 2);
	/* its arrival came before the start: it stays queued before the start */
	assert_int_equal(f->n[ZT_C_AT_START], 1);
	assert_int_equal(f->n[ZT_C_STORED], 0);
	assert_int_equal(zt_fn_pending(f), 1);
	assert_balanced(f);
	zt_corr_free(&c);

	/* arrived (traced) and stored as the queues were read: stored, once */
	zt_corr_init(&c);
	struct zt_event a = base(ZT_EV_ARRIVAL, 2, 1 * MS);
	with_ccdf(&a, 4, 0x1000);
	zt_corr_add(&c, &a, NULL);
	read_queues(&c, 2, &q, 2 * MS);
	e.ts_ns = 3 * MS;
	zt_corr_add(&c, &e, NULL);
	f = zt_corr_fn(&c, 2);
	assert_int_equal(f->n[ZT_C_AT_START], 0);
	assert_int_equal(c.total[ZT_C_AT_START], 0);
	assert_int_equal(f->n[ZT_C_STORED], 1);
	assert_int_equal(zt_fn_pending(f), 1);
	assert_balanced(f);
	zt_corr_free(&c);
}

static void test_unseen_dequeues_from_the_queue_counters(void **state)
{
	struct zt_corr c;
	struct queue q = { 0, 0, 0 };
	(void)state;
	zt_corr_init(&c);
	for (int i = 0; i < 3; i++)
		arrive_store(&c, 7, &q, (uint64_t)(i + 1) * MS, 4);
	/* two dequeues nobody traced (vfio_pci_core's hook gone, no get hook): only the head says so */
	q.head += 2, q.count -= 2;
	struct zt_fn *f = zt_corr_fn(&c, 7);
	arrive_store(&c, 7, &q, 10 * MS, 4); /* its events carry the queue after: head 2 */
	assert_int_equal(zt_fn_unseen(f), 2);
	assert_int_equal(zt_fn_pending(f), 2);
	assert_balanced(f);
	/* the slots come round again: the kernel reuses one only once its entry left */
	for (int i = 0; i < 2; i++)
		arrive_store(&c, 7, &q, (uint64_t)(20 + i) * MS, 4);
	assert_int_equal(zt_fn_unseen(f), 2);
	assert_int_equal(zt_fn_pending(f), 4);
	assert_balanced(f);
	/* a close that discards fewer than the model holds: the rest left unseen */
	q.head++, q.count--;
	struct zt_event e = base(ZT_EV_CLOSE, 7, 30 * MS);
	e.discarded = 3;
	e.q_mr = 0;
	zt_corr_add(&c, &e, NULL);
	assert_int_equal(zt_fn_unseen(f), 3);
	assert_int_equal(zt_fn_pending(f), 0);
	assert_balanced(f);
	zt_corr_free(&c);
}

static void test_books_do_not_balance_when_an_enqueue_is_missing(void **state)
{
	struct zt_corr c;
	struct queue q = { 0, 0, 0 };
	(void)state;
	zt_corr_init(&c);
	arrive_store(&c, 8, &q, 1 * MS, 4);
	q.tail++, q.count++; /* an error stored without a traced enqueue */
	dequeue(&c, 8, &q, 2 * MS, 0);
	struct zt_match n = dequeue(&c, 8, &q, 3 * MS, 0);
	assert_true(n.unmatched);
	struct zt_books b;
	zt_fn_books(zt_corr_fn(&c, 8), &b);
	assert_false(b.balanced);
	zt_corr_free(&c);
}

static void test_quantiles_exact(void **state)
{
	struct zt_hist h = { 0 };
	(void)state;
	assert_int_equal(zt_hist_quantile(&h, 0.5), 0);
	for (int i = 100; i >= 1; i--) /* unsorted input */
		zt_hist_add(&h, (uint64_t)i * 1000);
	assert_int_equal(zt_hist_quantile(&h, 0.50), 50000);
	assert_int_equal(zt_hist_quantile(&h, 0.90), 90000);
	assert_int_equal(zt_hist_quantile(&h, 0.99), 99000);
	assert_int_equal(zt_hist_quantile(&h, 1.0), 100000);
	assert_int_equal(h.max_ns, 100000);
	assert_int_equal(h.min_ns, 1000);
	zt_hist_add(&h, 1); /* a new sample after sorting */
	assert_int_equal(zt_hist_quantile(&h, 0.0), 1);
	assert_int_equal(zt_hist_quantile(&h, 0.01), 1000); /* rank ceil(1.01) = 2 */
	zt_hist_free(&h);

	/* three samples: p50 is the 2nd, p90 and p99 the 3rd */
	zt_hist_add(&h, 7);
	zt_hist_add(&h, 3);
	zt_hist_add(&h, 5);
	assert_int_equal(zt_hist_quantile(&h, 0.5), 5);
	assert_int_equal(zt_hist_quantile(&h, 0.9), 7);
	zt_hist_free(&h);
}

static void test_quantiles_beyond_exact_are_bounded(void **state)
{
	struct zt_hist h = { 0 };
	(void)state;
	for (uint64_t i = 1; i <= ZT_HIST_EXACT_MAX + 1000; i++)
		zt_hist_add(&h, i);
	uint64_t n = h.count, p50 = zt_hist_quantile(&h, 0.5);
	assert_true(h.nsamples < n);
	/* the true p50 is n/2; the log2 estimate is an upper bound within a factor of 2 */
	assert_true(p50 >= n / 2 && p50 < n);
	assert_int_equal(zt_hist_quantile(&h, 1.0), n);
	zt_hist_free(&h);
}

/* timestamps out of order (another CPU's, or an edited capture): counted; every wait is 0, none wraps */
static void test_out_of_order_never_underflows(void **state)
{
	struct zt_corr c;
	struct queue q = { 0, 0, 0 };
	(void)state;
	zt_corr_init(&c);
	for (int i = 0; i < 4; i++)
		arrive_store(&c, 5, &q, 1000 * MS, 4); /* full at 1000 ms */
	struct zt_match n = dequeue(&c, 5, &q, 10 * MS, 0); /* "before" its enqueue; the queue leaves full */
	assert_true(n.matched);
	assert_int_equal(n.latency_ns, 0);
	struct zt_fn *f = zt_corr_fn(&c, 5);
	assert_int_equal(zt_fn_full_ns(f, 0), 0);
	assert_int_equal(zt_fn_full_ns(f, 5 * MS), 0);
	assert_int_equal(zt_fn_oldest_pending_ns(f, 1 * MS), 0);
	assert_true(c.out_of_order >= 1);
	assert_true(f->enq_deq.max_ns == 0);
	struct zt_event e = base(ZT_EV_NOTIFY, 5, 1 * MS);
	zt_corr_add(&c, &e, NULL);
	assert_int_equal(f->arr_notify.max_ns, 0);
	zt_corr_free(&c);
}

/* finding a function costs about one probe, however many functions there are (it was a walk of all of them) */
static void test_function_lookup_does_not_grow(void **state)
{
	enum { NFNS = 50000 };
	struct zt_corr c;
	(void)state;
	zt_corr_init(&c);
	for (uint32_t round = 0; round < 2; round++)
		for (uint32_t i = 0; i < NFNS; i++) {
			struct zt_event e = base(ZT_EV_RESET, i * 7919u, (uint64_t)(round * NFNS + i));
			zt_corr_add(&c, &e, NULL);
		}
	assert_int_equal(c.nfns, NFNS);
	uint64_t probes = c.index_probes;
	for (uint32_t i = 0; i < NFNS; i++)
		assert_int_equal(zt_corr_fn(&c, i * 7919u)->n[ZT_C_RESETS], 2);
	assert_null(zt_corr_fn(&c, 3));
	assert_true(c.index_probes - probes < 3 * (NFNS + 1)); /* a walk would be NFNS / 2 per lookup */
	zt_corr_free(&c);
}

/* a close says which traced entries it discarded, with their enqueue times (the timeline's spans) */
static void test_close_notes_the_discarded(void **state)
{
	struct zt_corr c;
	struct queue q = { 0, 0, 0 };
	struct zt_match n;
	(void)state;
	zt_corr_init(&c);
	arrive_store(&c, 3, &q, 10 * MS, 4);
	arrive_store(&c, 3, &q, 20 * MS, 2);
	struct zt_event e = base(ZT_EV_CLOSE, 3, 70 * MS);
	e.discarded = 2;
	e.q_mr = 0;
	zt_corr_add(&c, &e, &n);
	assert_int_equal(n.ndiscarded, 2);
	assert_int_equal(n.discarded[0].slot, 0);
	assert_int_equal(n.discarded[0].enqueue_ns, 10 * MS + 1);
	assert_int_equal(n.discarded[1].slot, 1);
	assert_int_equal(n.discarded[1].enqueue_ns, 20 * MS + 1);
	zt_corr_free(&c);
}

static void notify(struct zt_corr *c, uint32_t fid, uint64_t ts)
{
	struct zt_event e = base(ZT_EV_NOTIFY, fid, ts);

	zt_corr_add(c, &e, NULL);
}

#define SEC (1000 * MS)

/* what the consumer does after each notification, as the facts' states say */
static void test_consumer_states(void **state)
{
	struct zt_corr c;
	struct queue q = { 0 }, q2 = { 0 }, q3 = { 0 };
	uint64_t t = SEC;
	(void)state;
	zt_corr_init(&c);
	/* 1 drains: an error, its notification, one read that takes it and one that finds the queue empty */
	for (int i = 0; i < 3; i++, t += SEC) {
		arrive_store(&c, 1, &q, t, 4);
		notify(&c, 1, t + 2);
		dequeue(&c, 1, &q, t + 3, 0);
		dequeue(&c, 1, &q, t + 4, 0);
	}
	/* 2 reads one of three and never to empty; 3 is notified and never reads */
	for (int i = 0; i < 3; i++, t += SEC) {
		arrive_store(&c, 2, &q2, t, 4);
		notify(&c, 2, t + 2);
		if (i == 0)
			dequeue(&c, 2, &q2, t + 3, 0);
	}
	arrive_store(&c, 3, &q3, t, 4);
	notify(&c, 3, t + 2);
	assert_int_equal(zt_fn_consumer(zt_corr_fn(&c, 1), t + 5 * SEC), ZT_CONS_DRAINS);
	assert_int_equal(zt_fn_consumer(zt_corr_fn(&c, 2), t + 1 * SEC), ZT_CONS_WAITING);
	assert_int_equal(zt_fn_consumer(zt_corr_fn(&c, 2), t + 5 * SEC), ZT_CONS_READS_SOME);
	/* too soon to judge 3, then it never read */
	assert_int_equal(zt_fn_consumer(zt_corr_fn(&c, 3), t + 1 * SEC), ZT_CONS_WAITING);
	assert_int_equal(zt_fn_consumer(zt_corr_fn(&c, 3), t + ZT_CONSUMER_GRACE_S * SEC + 2), ZT_CONS_NEVER_READS);
	/* a drainer in the middle of a burst is still a drainer; one that stops for 5 s is not */
	arrive_store(&c, 1, &q, t, 4);
	notify(&c, 1, t + 2);
	assert_int_equal(zt_fn_consumer(zt_corr_fn(&c, 1), t + SEC), ZT_CONS_DRAINS);
	assert_int_equal(zt_fn_consumer(zt_corr_fn(&c, 1), t + 6 * SEC), ZT_CONS_READS_SOME);
	/* a new open: a new consumer, nothing notified yet */
	struct zt_event open = base(ZT_EV_OPEN, 3, t + 7 * SEC);
	zt_corr_add(&c, &open, NULL);
	assert_int_equal(zt_fn_consumer(zt_corr_fn(&c, 3), t + 60 * SEC), ZT_CONS_NONE);
	zt_corr_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap_at_256),
		cmocka_unit_test(test_overflow_fifo_and_full_time),
		cmocka_unit_test(test_v12_dequeues_match_by_slot),
		cmocka_unit_test(test_discard_at_close_and_oldest_pending),
		cmocka_unit_test(test_dequeue_without_enqueue_is_not_guessed),
		cmocka_unit_test(test_interleaved_functions),
		cmocka_unit_test(test_lost_after_dequeue),
		cmocka_unit_test(test_notify_and_reset_latencies),
		cmocka_unit_test(test_queued_before_start_matched_by_slot),
		cmocka_unit_test(test_store_seen_both_at_start_and_traced_counts_once),
		cmocka_unit_test(test_unseen_dequeues_from_the_queue_counters),
		cmocka_unit_test(test_books_do_not_balance_when_an_enqueue_is_missing),
		cmocka_unit_test(test_quantiles_exact),
		cmocka_unit_test(test_quantiles_beyond_exact_are_bounded),
		cmocka_unit_test(test_out_of_order_never_underflows),
		cmocka_unit_test(test_function_lookup_does_not_grow),
		cmocka_unit_test(test_close_notes_the_discarded),
		cmocka_unit_test(test_consumer_states),
	};
	return cmocka_run_group_tests_name("correlate", tests, NULL, NULL);
}
