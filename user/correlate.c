// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ccdf.h"
#include "correlate.h"
#include "event.h"

/* to - from, 0 when out of order: timestamps read on different CPUs, or a capture edited by hand */
static uint64_t elapsed(uint64_t from, uint64_t to)
{
	return to > from ? to - from : 0;
}

/* entry p lies behind the queue's head: it was dequeued */
static bool behind_head(const struct zt_fn *f, const struct zt_pending *p)
{
	return f->head_known && (int8_t)(uint8_t)(f->head - p->counter) > 0;
}

const char *zt_counter_name(enum zt_counter c)
{
	return c < ZT_NR_COUNTERS ? zt_counter_facts[c].label : "?";
}

void zt_corr_init(struct zt_corr *c)
{
	memset(c, 0, sizeof(*c));
}

void zt_corr_free(struct zt_corr *c)
{
	for (size_t i = 0; i < c->nfns; i++) {
		free(c->fns[i].by_pec);
		free(c->fns[i].pec_index.slot);
		zt_hist_free(&c->fns[i].enq_deq);
		zt_hist_free(&c->fns[i].arr_notify);
		zt_hist_free(&c->fns[i].deq_reset);
	}
	for (size_t i = 0; i < c->npecs; i++)
		zt_hist_free(&c->pecs[i].enq_deq);
	free(c->fns);
	free(c->pecs);
	free(c->pec_index.slot);
	free(c->index);
	memset(c, 0, sizeof(*c));
}

/* The function index: open addressing over fid, slots hold an index into fns plus one (0: empty). A capture
 * of many functions costs a probe or two per event, not a walk of every function. */
static size_t fid_hash(uint32_t fid, size_t mask)
{
	return (size_t)(fid * 2654435761u) & mask;
}

static struct zt_fn *index_find(struct zt_corr *c, uint32_t fid, size_t *at)
{
	size_t mask = c->index_cap - 1, i = fid_hash(fid, mask);

	for (;; i = (i + 1) & mask) {
		c->index_probes++;
		if (!c->index[i] || c->fns[c->index[i] - 1].fid == fid)
			break;
	}
	*at = i;
	return c->index[i] ? &c->fns[c->index[i] - 1] : NULL;
}

/* the index at most half full, rebuilt at twice the size when it would not be */
static int index_grow(struct zt_corr *c)
{
	size_t cap = c->index_cap ? c->index_cap * 2 : 64, at;
	uint32_t *old = c->index;

	if (c->index_cap && (c->nfns + 1) * 2 <= c->index_cap)
		return 0;
	c->index = calloc(cap, sizeof(*c->index));
	if (!c->index) {
		c->index = old;
		return -ENOMEM;
	}
	free(old);
	c->index_cap = cap;
	for (size_t k = 0; k < c->nfns; k++) {
		index_find(c, c->fns[k].fid, &at);
		c->index[at] = (uint32_t)k + 1;
	}
	return 0;
}

struct zt_fn *zt_corr_fn(struct zt_corr *c, uint32_t fid)
{
	size_t at;

	return c->index_cap ? index_find(c, fid, &at) : NULL;
}

/* room for one more element in a growing array; NULL when memory ran out */
static void *grow(void *arr, size_t *n, size_t *cap, size_t size)
{
	char *a = arr;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;

		a = realloc(arr, ncap * size);
		if (!a)
			return NULL;
		*cap = ncap;
	}
	memset(a + *n * size, 0, size);
	(*n)++;
	return a;
}

static struct zt_fn *fn_get(struct zt_corr *c, uint32_t fid)
{
	struct zt_fn *f = zt_corr_fn(c, fid), *fns;
	size_t at;

	if (f)
		return f;
	if (c->nfns >= UINT32_MAX - 1 || index_grow(c))
		return NULL;
	fns = grow(c->fns, &c->nfns, &c->capfns, sizeof(*fns));
	if (!fns)
		return NULL;
	c->fns = fns;
	c->fns[c->nfns - 1].fid = fid;
	index_find(c, fid, &at);
	c->index[at] = (uint32_t)c->nfns;
	return &c->fns[c->nfns - 1];
}

/* the slot of key in ix: its entry, or the empty slot where it goes */
static uint64_t *u32_slot(struct zt_u32_index *ix, uint32_t key)
{
	size_t mask = ix->cap - 1, i = fid_hash(key, mask);

	for (ix->probes++; ix->slot[i] && ix->slot[i] >> 32 != (uint64_t)key + 1; ix->probes++)
		i = (i + 1) & mask;
	return &ix->slot[i];
}

/* the index of key, or -1 */
static long u32_find(struct zt_u32_index *ix, uint32_t key)
{
	uint64_t *s = ix->cap ? u32_slot(ix, key) : NULL;

	return s && *s ? (long)(uint32_t)*s : -1;
}

/* key -> at, growing the map to stay at most half full. 0, or -ENOMEM */
static int u32_put(struct zt_u32_index *ix, uint32_t key, uint32_t at)
{
	if ((ix->n + 1) * 2 > ix->cap) {
		struct zt_u32_index big = { .cap = ix->cap ? ix->cap * 2 : 16, .n = ix->n, .probes = ix->probes };

		big.slot = calloc(big.cap, sizeof(*big.slot));
		if (!big.slot)
			return -ENOMEM;
		for (size_t i = 0; i < ix->cap; i++)
			if (ix->slot[i])
				*u32_slot(&big, (uint32_t)((ix->slot[i] >> 32) - 1)) = ix->slot[i];
		free(ix->slot);
		*ix = big;
	}
	*u32_slot(ix, key) = ((uint64_t)key + 1) << 32 | at;
	ix->n++;
	return 0;
}

static struct zt_pec *pec_get(struct zt_corr *c, uint16_t pec)
{
	long at = u32_find(&c->pec_index, pec);
	struct zt_pec *pecs;

	if (at >= 0)
		return &c->pecs[at];
	pecs = grow(c->pecs, &c->npecs, &c->cappecs, sizeof(*pecs));
	if (!pecs)
		return NULL;
	c->pecs = pecs;
	if (u32_put(&c->pec_index, pec, (uint32_t)(c->npecs - 1))) {
		c->npecs--;
		return NULL;
	}
	c->pecs[c->npecs - 1].pec = pec;
	return &c->pecs[c->npecs - 1];
}

static struct zt_fn_pec *fn_pec(struct zt_fn *f, uint16_t pec, bool known)
{
	uint32_t key = known ? 1u << 16 | pec : 0;
	long at = u32_find(&f->pec_index, key);
	struct zt_fn_pec *p;

	if (at >= 0)
		return &f->by_pec[at];
	p = grow(f->by_pec, &f->npec, &f->cappec, sizeof(*p));
	if (!p)
		return NULL;
	f->by_pec = p;
	if (u32_put(&f->pec_index, key, (uint32_t)(f->npec - 1))) {
		f->npec--;
		return NULL;
	}
	p = &f->by_pec[f->npec - 1];
	p->pec = known ? pec : 0;
	p->pec_known = known;
	return p;
}

static void count_pec(struct zt_fn *f, int counter, uint16_t pec, bool known, uint64_t n)
{
	struct zt_fn_pec *p = fn_pec(f, pec, known);

	if (p)
		p->n[counter] += n;
}

/* the queue depth after this event: time at full depth starts and stops here */
static void track_depth(struct zt_fn *f, const struct zt_event *e)
{
	if (!e->q_valid)
		return;
	f->mediated = e->q_mr;
	/* forward only: an event read on another CPU may carry an older state than the one before it */
	if (!f->head_known || (int8_t)(uint8_t)(e->q_head - f->head) > 0 || e->type == ZT_EV_CLOSE) {
		f->head = e->q_head;
		f->head_known = true;
	}
	f->depth = e->q_count;
	if (e->q_count > f->max_depth)
		f->max_depth = e->q_count;
	if (e->q_count >= ZT_QUEUE_DEPTH && !f->full_since_ns)
		f->full_since_ns = e->ts_ns;
	else if (e->q_count < ZT_QUEUE_DEPTH && f->full_since_ns) {
		f->full_ns += elapsed(f->full_since_ns, e->ts_ns);
		f->full_since_ns = 0;
	}
}

static void clear_queue(struct zt_fn *f)
{
	memset(f->slot, 0, sizeof(f->slot));
}

/* a dequeue took the entry at e->slot whose counter is head-before = q_head - 1 */
static struct zt_pending *take(struct zt_fn *f, const struct zt_event *e)
{
	struct zt_pending *p;

	if (!e->has_slot || !e->q_valid || e->slot >= ZT_QUEUE_DEPTH)
		return NULL;
	p = &f->slot[e->slot];
	if (!p->valid || p->counter != (uint8_t)(e->q_head - 1))
		return NULL;
	p->valid = false;
	return p;
}

/* the one place that says which counter an event bumps */
static int counter_of(const struct zt_event *e)
{
	switch (e->type) {
	case ZT_EV_ARRIVAL:
		return ZT_C_ARRIVED;
	case ZT_EV_ENQUEUE:
		switch (e->result) {
		case ZT_ENQ_STORED:
			return ZT_C_STORED;
		case ZT_ENQ_DROPPED_FULL:
			return ZT_C_DROPPED_FULL;
		case ZT_ENQ_NOT_STORED:
			return ZT_C_NOT_STORED;
		}
		return ZT_C_ENQUEUE_UNKNOWN;
	case ZT_EV_NOTIFY:
		return ZT_C_NOTIFIED;
	case ZT_EV_FEATURE:
		if (zt_feature_kind(e) == ZT_FEATURE_PROBE)
			return ZT_C_PROBES;
		if (zt_feature_kind(e) == ZT_FEATURE_OTHER)
			return ZT_C_OTHER_FEATURE;
		if (zt_dequeue_lost(e))
			return ZT_C_LOST_EFAULT;
		if (e->get_ret == 0 && e->ret == 0)
			return ZT_C_DEQUEUED;
		/* v12 answers an empty queue with rc 0 (and pec 0): its get_ret says -ENOMSG, as the merged rc does */
		return e->ret == -ENOMSG || (e->v12 && e->ret == 0 && e->get_ret == -ENOMSG) ? ZT_C_EMPTY
											  : ZT_C_READ_FAILED;
	case ZT_EV_QUEUE:
	case ZT_EV_QUEUED: /* counted where it is known to be new */
		return -1;
	case ZT_EV_OPEN:
		return ZT_C_OPENS;
	case ZT_EV_CLOSE:
		return ZT_C_CLOSES;
	case ZT_EV_AVAIL:
		return ZT_C_AVAIL;
	case ZT_EV_RESET:
		return ZT_C_RESETS;
	}
	return -1;
}

/* an error found in the queue at start, unless its enqueue was traced already (the same counter) */
static void queued_at_start(struct zt_corr *c, struct zt_fn *f, const struct zt_event *e, const struct zt_ccdf *ccdf)
{
	struct zt_pending *p;
	uint8_t counter;

	if (!e->has_slot || !e->q_valid || e->slot >= ZT_QUEUE_DEPTH)
		return;
	/* the entries are head, head+1, ...: the one in this slot */
	counter = (uint8_t)(e->q_head + ((e->slot - e->q_head) & (ZT_QUEUE_DEPTH - 1)));
	p = &f->slot[e->slot];
	if (p->valid && p->counter == counter)
		return;
	if (p->valid)
		f->unseen++;
	*p = (struct zt_pending){ .valid = true, .at_start = true, .counter = counter, .enqueue_ns = e->ts_ns,
				  .pec = ccdf ? ccdf->pec : 0, .faddr = ccdf ? ccdf->faddr : 0 };
	f->n[ZT_C_AT_START]++;
	c->total[ZT_C_AT_START]++;
	count_pec(f, ZT_C_AT_START, p->pec, ccdf != NULL, 1);
}

/* One handler per event kind, as the BPF side has one per hook. Each is handed the event's function and its
 * decoded CCDF (NULL without one); the counters were bumped before. */
struct ctx {
	struct zt_corr *c;
	struct zt_fn *f;
	const struct zt_event *e;
	const struct zt_ccdf *ccdf;
	struct zt_match *note;
};

static void on_arrival(const struct ctx *x)
{
	struct zt_pec *p = x->ccdf ? pec_get(x->c, x->ccdf->pec) : NULL;

	x->f->last_arrival_ns = x->f->last_error_ns = x->e->ts_ns;
	x->f->arrivals_unstored++;
	if (p)
		p->arrived++;
}

/* a store into slot: one new error, unless it is one already found queued at start */
static void stored(const struct ctx *x)
{
	struct zt_fn *f = x->f;
	const struct zt_event *e = x->e;
	struct zt_pending *p = &f->slot[e->slot];
	uint8_t counter = (uint8_t)(e->q_tail - 1);
	bool arrival_traced = f->arrivals_unstored > 0;
	bool same = p->valid && p->counter == counter && p->at_start;

	if (arrival_traced)
		f->arrivals_unstored--;
	if (same && !arrival_traced) {
		/* it arrived before the start, was found queued, and its store returned after: it stays queued before
		 * the start, not stored anew */
		f->n[ZT_C_STORED]--;
		x->c->total[ZT_C_STORED]--;
		count_pec(f, ZT_C_STORED, x->ccdf ? x->ccdf->pec : 0, x->ccdf != NULL, (uint64_t)-1);
		return;
	}
	if (same) {
		/* arrived and stored after the start, found queued before its enqueue event came: one error */
		f->n[ZT_C_AT_START]--;
		x->c->total[ZT_C_AT_START]--;
		count_pec(f, ZT_C_AT_START, p->pec, true, (uint64_t)-1);
	} else if (p->valid) {
		f->unseen++; /* the kernel reuses a slot only once its entry was dequeued */
	}
	*p = (struct zt_pending){ .valid = true, .counter = counter, .enqueue_ns = e->ts_ns,
				  .pec = x->ccdf ? x->ccdf->pec : 0, .faddr = x->ccdf ? x->ccdf->faddr : 0 };
}

static void on_enqueue(const struct ctx *x)
{
	const struct zt_event *e = x->e;

	if (e->result != ZT_ENQ_STORED && x->f->arrivals_unstored)
		x->f->arrivals_unstored--;
	if (e->result == ZT_ENQ_STORED && e->has_slot && e->q_valid && e->slot < ZT_QUEUE_DEPTH)
		stored(x);
}

static void on_notify(const struct ctx *x)
{
	if (!x->f->cons_pending++)
		x->f->cons_pending_since_ns = x->e->ts_ns;
	x->f->cons_notified++;
	if (x->f->last_arrival_ns) {
		zt_hist_add(&x->f->arr_notify, elapsed(x->f->last_arrival_ns, x->e->ts_ns));
		x->f->last_arrival_ns = 0;
	}
}

/* a dequeue is matched to the entry it took; its wait is a latency unless it was lost or queued before the start */
static void on_feature(const struct ctx *x)
{
	struct zt_fn *f = x->f;
	const struct zt_event *e = x->e;
	struct zt_pending *p;

	f->consumer_seen = true;
	if (zt_feature_kind(e) == ZT_FEATURE_DEQUEUE) {
		f->cons_reads++;
		if (counter_of(e) == ZT_C_EMPTY) { /* read until empty: the notifications before it are answered */
			f->cons_drained += f->cons_pending;
			f->cons_pending = 0;
		}
	}
	if (zt_feature_kind(e) != ZT_FEATURE_DEQUEUE || e->get_ret != 0)
		return;
	p = take(f, e);
	f->last_dequeue_ns = e->ts_ns;
	if (!p) {
		f->unmatched++;
		x->c->unmatched_total++;
		x->note->unmatched = true;
		return;
	}
	x->note->matched = true;
	x->note->at_start = p->at_start && !p->carried;
	x->note->latency_ns = elapsed(p->enqueue_ns, e->ts_ns);
	if (!zt_dequeue_lost(e) && (!p->at_start || p->carried)) {
		struct zt_pec *pp = pec_get(x->c, p->pec);

		zt_hist_add(&f->enq_deq, x->note->latency_ns);
		if (pp)
			zt_hist_add(&pp->enq_deq, x->note->latency_ns);
	}
}

static void on_open(const struct ctx *x)
{
	/* the last close memset the queue: what the model still holds left it unseen (a close not traced) */
	for (int i = 0; i < ZT_QUEUE_DEPTH; i++)
		x->f->unseen += x->f->slot[i].valid;
	clear_queue(x->f);
	/* a new consumer: judged anew; its owner is the tracer's to say (zt_corr_owner) */
	x->f->cons_notified = x->f->cons_reads = x->f->cons_pending = x->f->cons_drained = 0;
	memset(&x->f->owner, 0, sizeof(x->f->owner));
}

static void on_close(const struct ctx *x)
{
	struct zt_fn *f = x->f;
	const struct zt_event *e = x->e;
	uint64_t known = 0;
	int valid = 0;

	for (int i = 0; i < ZT_QUEUE_DEPTH; i++)
		valid += f->slot[i].valid;
	/* traced entries beyond what the kernel discarded had left the queue unseen */
	if (valid > e->discarded)
		f->unseen += (uint64_t)valid - e->discarded;
	f->n[ZT_C_DISCARDED] += e->discarded;
	/* the discarded errors' PECs: those of the traced entries still queued; the kernel's count rules */
	for (int i = 0; i < ZT_QUEUE_DEPTH && known < e->discarded; i++)
		if (f->slot[i].valid) {
			count_pec(f, ZT_C_DISCARDED, f->slot[i].pec, true, 1);
			x->note->discarded[x->note->ndiscarded].slot = (uint8_t)i;
			x->note->discarded[x->note->ndiscarded++].enqueue_ns = f->slot[i].enqueue_ns;
			known++;
		}
	if (e->discarded > known)
		count_pec(f, ZT_C_DISCARDED, 0, false, e->discarded - known);
	clear_queue(f);
}

static void on_reset(const struct ctx *x)
{
	if (x->f->last_dequeue_ns) {
		zt_hist_add(&x->f->deq_reset, elapsed(x->f->last_dequeue_ns, x->e->ts_ns));
		x->f->last_dequeue_ns = 0;
	}
}

static void on_queued(const struct ctx *x)
{
	queued_at_start(x->c, x->f, x->e, x->ccdf);
}

static void (*const handlers[ZT_EV_LAST + 1])(const struct ctx *) = {
	[ZT_EV_ARRIVAL] = on_arrival, [ZT_EV_ENQUEUE] = on_enqueue, [ZT_EV_NOTIFY] = on_notify,
	[ZT_EV_FEATURE] = on_feature, [ZT_EV_OPEN] = on_open,	      [ZT_EV_CLOSE] = on_close,
	[ZT_EV_RESET] = on_reset,     [ZT_EV_QUEUED] = on_queued,
};

/* the totals, and the time the observation spans */
static void count_total(struct zt_corr *c, const struct zt_event *e, int counter)
{
	if (!c->first_ns || e->ts_ns < c->first_ns)
		c->first_ns = e->ts_ns;
	if (e->ts_ns < c->last_ns)
		c->out_of_order++;
	else
		c->last_ns = e->ts_ns;
	if (counter >= 0)
		c->total[counter]++;
	if (e->type == ZT_EV_CLOSE)
		c->total[ZT_C_DISCARDED] += e->discarded;
}

/* what the event says of its function: its counters, handle and PCI address */
static void count_fn(struct zt_fn *f, const struct zt_event *e, int counter, const struct zt_ccdf *ccdf)
{
	if (counter >= 0)
		f->n[counter]++;
	f->fh = e->fh;
	if (e->has_pci) {
		f->has_pci = true;
		f->pci_domain = e->pci_domain;
		f->pci_bus = e->pci_bus;
		f->pci_devfn = e->pci_devfn;
	}
	if (ccdf && counter >= 0 && e->type != ZT_EV_AVAIL)
		count_pec(f, counter, ccdf->pec, true, 1);
}

void zt_corr_add(struct zt_corr *c, const struct zt_event *e, struct zt_match *note)
{
	struct zt_match scratch;
	struct zt_ccdf ccdf;
	struct ctx x = { .c = c, .e = e, .note = note ? note : &scratch };
	int counter = counter_of(e);

	memset(x.note, 0, sizeof(*x.note));
	/* the queue of a function nobody opened, read at start: nothing to account for until something happens */
	if (e->type == ZT_EV_QUEUE && e->has_fn && !e->q_mr && !e->q_count && !zt_corr_fn(c, e->fid))
		return;
	count_total(c, e, counter);
	if (!e->has_fn || !(x.f = fn_get(c, e->fid)))
		return;
	if (e->has_ccdf) {
		zt_ccdf_decode(e->ccdf, &ccdf);
		x.ccdf = &ccdf;
	}
	count_fn(x.f, e, counter, x.ccdf);
	if (e->type <= ZT_EV_LAST && handlers[e->type])
		handlers[e->type](&x);
	track_depth(x.f, e);
}

void zt_corr_window_start(struct zt_corr *c, uint64_t since_ns)
{
	memset(c->total, 0, sizeof(c->total));
	c->unmatched_total = c->out_of_order = c->first_ns = 0;
	for (size_t i = 0; i < c->npecs; i++) {
		c->pecs[i].arrived = 0;
		zt_hist_free(&c->pecs[i].enq_deq);
	}
	for (size_t i = 0; i < c->nfns; i++) {
		struct zt_fn *f = &c->fns[i];

		memset(f->n, 0, sizeof(f->n));
		for (size_t k = 0; k < f->npec; k++)
			memset(f->by_pec[k].n, 0, sizeof(f->by_pec[k].n));
		zt_hist_free(&f->enq_deq);
		zt_hist_free(&f->arr_notify);
		zt_hist_free(&f->deq_reset);
		f->unmatched = f->unseen = 0;
		f->max_depth = f->depth;
		f->full_ns = 0;
		if (f->full_since_ns)
			f->full_since_ns = since_ns;
		for (int k = 0; k < ZT_QUEUE_DEPTH; k++) {
			struct zt_pending *p = &f->slot[k];

			if (p->valid && behind_head(f, p)) /* it left the queue before the window */
				p->valid = false;
			if (!p->valid)
				continue;
			p->at_start = p->carried = true;
			f->n[ZT_C_AT_START]++;
			c->total[ZT_C_AT_START]++;
			count_pec(f, ZT_C_AT_START, p->pec, true, 1);
		}
		/* an error that arrived just before the window and is offered to the queue inside it */
		f->n[ZT_C_ARRIVED] += f->arrivals_unstored;
		c->total[ZT_C_ARRIVED] += f->arrivals_unstored;
		if (f->arrivals_unstored)
			count_pec(f, ZT_C_ARRIVED, 0, false, f->arrivals_unstored);
	}
}

uint64_t zt_fn_full_ns(const struct zt_fn *f, uint64_t now_ns)
{
	return f->full_ns + (f->full_since_ns ? elapsed(f->full_since_ns, now_ns) : 0);
}

bool zt_fn_slot_pending(const struct zt_fn *f, int slot)
{
	return f->slot[slot].valid && !behind_head(f, &f->slot[slot]);
}

int zt_fn_pending(const struct zt_fn *f)
{
	int n = 0;

	for (int i = 0; i < ZT_QUEUE_DEPTH; i++)
		n += f->slot[i].valid && !behind_head(f, &f->slot[i]);
	return n;
}

/* those the head passed are provisional until their slot is reused or the queue closed: a dequeue event read on
 * another CPU may still come and match */
uint64_t zt_fn_unseen(const struct zt_fn *f)
{
	uint64_t n = f->unseen;

	for (int i = 0; i < ZT_QUEUE_DEPTH; i++)
		n += f->slot[i].valid && behind_head(f, &f->slot[i]);
	return n;
}

uint64_t zt_corr_unseen(const struct zt_corr *c)
{
	uint64_t n = 0;

	for (size_t i = 0; i < c->nfns; i++)
		n += zt_fn_unseen(&c->fns[i]);
	return n;
}

uint64_t zt_corr_figure(const struct zt_corr *c, enum zt_run_figure f)
{
	switch (f) { /* no default: a new row of ZT_RUN_FIGURES is a warning here until it has a value */
	case ZT_F_UNMATCHED:
		return c->unmatched_total;
	case ZT_F_UNSEEN:
		return zt_corr_unseen(c);
	case ZT_F_OUT_OF_ORDER:
		return c->out_of_order;
	case ZT_NR_RUN_FIGURES:
		break;
	}
	return 0;
}

void zt_fn_books(const struct zt_fn *f, struct zt_books *b)
{
	uint64_t offered = f->n[ZT_C_STORED] + f->n[ZT_C_DROPPED_FULL] + f->n[ZT_C_NOT_STORED] + f->n[ZT_C_ENQUEUE_UNKNOWN];

	*b = (struct zt_books){
		.arrived = f->n[ZT_C_ARRIVED], .at_start = f->n[ZT_C_AT_START], .dropped = f->n[ZT_C_DROPPED_FULL],
		.not_stored = f->n[ZT_C_NOT_STORED], .unknown = f->n[ZT_C_ENQUEUE_UNKNOWN],
		.not_queued = offered <= f->n[ZT_C_ARRIVED] ? f->n[ZT_C_ARRIVED] - offered : 0,
		.dequeued = f->n[ZT_C_DEQUEUED], .lost = f->n[ZT_C_LOST_EFAULT], .discarded = f->n[ZT_C_DISCARDED],
		.pending = (uint64_t)zt_fn_pending(f), .unseen = zt_fn_unseen(f),
	};
	/* what was stored (or found queued) left by exactly one way, or is still there */
	b->balanced = offered <= b->arrived &&
		      f->n[ZT_C_STORED] + b->at_start == b->dequeued + b->lost + b->discarded + b->pending + b->unseen;
}

uint64_t zt_fn_oldest_pending_at(const struct zt_fn *f)
{
	uint64_t oldest = 0;

	for (int i = 0; i < ZT_QUEUE_DEPTH; i++)
		if (f->slot[i].valid && !behind_head(f, &f->slot[i]) && (!oldest || f->slot[i].enqueue_ns < oldest))
			oldest = f->slot[i].enqueue_ns;
	return oldest;
}

uint64_t zt_fn_oldest_pending_ns(const struct zt_fn *f, uint64_t now_ns)
{
	uint64_t oldest = zt_fn_oldest_pending_at(f);

	return oldest ? elapsed(oldest, now_ns) : 0;
}

void zt_corr_owner(struct zt_corr *c, uint32_t fid, const struct zt_owner *o)
{
	struct zt_fn *f = fn_get(c, fid);

	if (f)
		f->owner = *o;
}

enum zt_consumer zt_fn_consumer(const struct zt_fn *f, uint64_t now_ns)
{
	bool overdue = f->cons_pending && now_ns > f->cons_pending_since_ns &&
		       now_ns - f->cons_pending_since_ns >= ZT_CONSUMER_GRACE_S * 1000000000ull;

	if (!f->cons_notified)
		return ZT_CONS_NONE;
	if (overdue)
		return f->cons_reads ? ZT_CONS_READS_SOME : ZT_CONS_NEVER_READS;
	return f->cons_drained ? ZT_CONS_DRAINS : ZT_CONS_WAITING;
}

bool zt_fn_no_consumer(const struct zt_fn *f)
{
	return f->n[ZT_C_STORED] + f->n[ZT_C_DROPPED_FULL] > 0 && !f->consumer_seen;
}
