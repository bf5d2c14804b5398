/* SPDX-License-Identifier: GPL-2.0 */
/* The correlator: matches every dequeue with its enqueue, per function, by queue slot and the
 * free-running u8 head/tail counters; keeps latencies per PEC and per function, overflow and loss
 * per function, and what is still pending. Pure logic: fed events, asked questions. */
#ifndef ZPCITRACE_CORRELATE_H
#define ZPCITRACE_CORRELATE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "facts.h"
#include "hist.h"
#include "owner.h"
#include "zt_event.h"

/* the counter's text label (facts.h) */
const char *zt_counter_name(enum zt_counter c);

struct zt_pending {
	bool valid;
	bool at_start;       /* queued before the start: enqueue_ns is when it was found, not when it was stored */
	bool carried;        /* queued before a report's window: enqueue_ns is when it was stored (a true latency) */
	bool said_unread;    /* --log-losses said it waited too long (losslog.h) */
	uint8_t counter;     /* tail value it was stored at: its head value when dequeued */
	uint64_t enqueue_ns;
	uint16_t pec;
	uint64_t faddr;
};

/* a small map from a 32-bit key to an array index (open addressing, at most half full): PECs, so that a capture
 * of many distinct PECs costs a probe or two per error, not a walk of every PEC seen */
struct zt_u32_index {
	uint64_t *slot; /* (key + 1) << 32 | index; 0: empty */
	size_t cap, n;
	uint64_t probes; /* slots looked at by every lookup: stays near one per lookup */
};

/* counters of one function for one PEC (pec_known false: errors whose PEC zpcitrace never saw) */
struct zt_fn_pec {
	uint16_t pec;
	bool pec_known;
	uint64_t n[ZT_NR_COUNTERS];
};

/* one zPCI function */
struct zt_fn {
	uint32_t fid, fh;
	bool has_pci;
	uint32_t pci_domain;
	uint8_t pci_bus, pci_devfn;
	struct zt_pending slot[ZT_QUEUE_DEPTH];
	uint64_t n[ZT_NR_COUNTERS];      /* see enum zt_counter */
	uint64_t unmatched;
	uint64_t arrivals_unstored;      /* traced arrivals whose enqueue outcome has not come yet */
	uint64_t unseen;                 /* dequeued without a traced dequeue: its slot was reused, or close found it gone */
	bool head_known;
	uint8_t head;                    /* the queue's newest head counter seen (entries behind it were dequeued) */
	uint8_t depth, max_depth;
	bool mediated;                   /* mediated recovery on (the device open for vfio), as the newest queue state says */
	uint64_t full_since_ns, full_ns; /* time at full depth (full_since_ns: 0 when not full) */
	bool consumer_seen;              /* some process called the feature ioctl for it */
	uint64_t last_arrival_ns;        /* waiting for its notify */
	uint64_t last_dequeue_ns;        /* waiting for the reset that ends the recovery */
	uint64_t last_error_ns;          /* newest arrival */
	struct zt_hist enq_deq, arr_notify, deq_reset;
	struct zt_fn_pec *by_pec;        /* the counters that concern one error, split by its PEC */
	size_t npec, cappec;
	struct zt_u32_index pec_index;   /* (known << 16 | pec) -> by_pec */
	struct zt_owner owner;           /* who opened the device (zt_corr_owner); pid 0: not known */
	/* the consumer since the device was opened (zt_fn_consumer): notifications, reads of the queue, the
	 * notifications since the last read that found it empty and the oldest of their times, and those answered by
	 * such a read */
	uint64_t cons_notified, cons_reads, cons_pending, cons_drained;
	uint64_t cons_pending_since_ns;
};

struct zt_pec {
	uint16_t pec;
	uint64_t arrived;
	struct zt_hist enq_deq;
};

struct zt_corr {
	struct zt_fn *fns;
	size_t nfns, capfns;
	struct zt_pec *pecs;
	size_t npecs, cappecs;
	struct zt_u32_index pec_index;   /* pec -> pecs */
	uint64_t last_ns; /* newest event seen */
	uint64_t first_ns;
	uint64_t unmatched_total;
	uint64_t out_of_order;           /* events older than one before them: their waits count as 0, never negative */
	uint64_t total[ZT_NR_COUNTERS];  /* all functions, and events that named none */
	uint32_t *index;                 /* fid -> fns, see zt_corr_fn */
	size_t index_cap;
	uint64_t index_probes;           /* slots looked at by every lookup: stays near one per lookup */
};

/* What the correlator adds to one event, for the sinks. */
struct zt_match {
	bool matched;        /* a dequeue (or lost one) matched to its enqueue */
	bool at_start;       /* matched to an error queued before the start: latency_ns is a lower bound */
	bool unmatched;      /* a dequeue with no traced enqueue: never guessed */
	uint64_t latency_ns; /* enqueue -> dequeue, when matched */
	const struct zt_owner *owner; /* an open (or a queue read at start): the device's owner, set by the tracer */
	int ndiscarded;      /* a close: the traced entries it discarded, their slot and enqueue time */
	struct {
		uint8_t slot;
		uint64_t enqueue_ns;
	} discarded[ZT_QUEUE_DEPTH];
};

void zt_corr_init(struct zt_corr *c);
void zt_corr_free(struct zt_corr *c);
/* Feed one event; note (may be NULL) says what it matched. */
void zt_corr_add(struct zt_corr *c, const struct zt_event *e, struct zt_match *note);
/* A report's window starts here (since_ns): what came before fed the queue model and is not counted. Errors then
 * queued count as queued before the start (their waits are exact), arrivals whose enqueue is still to come as
 * arrived; every counter, latency and depth starts anew. */
void zt_corr_window_start(struct zt_corr *c, uint64_t since_ns);
/* now_ns: the end of the observation (a live run's CLOCK_MONOTONIC now, or the capture's last event) */
uint64_t zt_fn_full_ns(const struct zt_fn *f, uint64_t now_ns);
/* age of the oldest error still queued, 0 when none */
uint64_t zt_fn_oldest_pending_ns(const struct zt_fn *f, uint64_t now_ns);
/* when the oldest error still queued was stored (the events' clock), 0 when none */
uint64_t zt_fn_oldest_pending_at(const struct zt_fn *f);
/* errors still queued: traced ones the queue's head has not passed */
int zt_fn_pending(const struct zt_fn *f);
/* the entry in this slot is one of them */
bool zt_fn_slot_pending(const struct zt_fn *f, int slot);
/* errors that left the queue by a dequeue zpcitrace did not see (the queue counters say so) */
uint64_t zt_fn_unseen(const struct zt_fn *f);

/* Where every error of a function went: arrived + queued at start = the outcome buckets, each error in one. The
 * buckets are the rows of ZT_BOOKS (facts.h), by name or as n[enum zt_book] */
struct zt_books {
	union {
		struct {
#define ZT_BOOK_FIELD(field, ...) uint64_t field;
			ZT_BOOKS(ZT_BOOK_FIELD)
#undef ZT_BOOK_FIELD
		};
		uint64_t n[ZT_NR_BOOKS];
	};
	bool balanced;
};
void zt_fn_books(const struct zt_fn *f, struct zt_books *b);
/* zt_fn_unseen over all functions */
uint64_t zt_corr_unseen(const struct zt_corr *c);
/* a figure of the whole run (facts.h, ZT_RUN_FIGURES) */
uint64_t zt_corr_figure(const struct zt_corr *c, enum zt_run_figure f);
/* the function's owner, as the tracer or the capture knows it (an open's, or the holder found at the start) */
void zt_corr_owner(struct zt_corr *c, uint32_t fid, const struct zt_owner *o);
/* what the function's consumer does after each notification, at now_ns (facts.h, ZT_CONSUMERS) */
enum zt_consumer zt_fn_consumer(const struct zt_fn *f, uint64_t now_ns);
/* errors were stored for it and no process ever asked for them */
bool zt_fn_no_consumer(const struct zt_fn *f);
struct zt_fn *zt_corr_fn(struct zt_corr *c, uint32_t fid);

#endif
