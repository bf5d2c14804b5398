/* SPDX-License-Identifier: GPL-2.0 */
/* The facts of a run, one table row each: what the text calls it, its JSON key, its metric and help. Every output
 * reads these tables (the summary in text and JSON, the exporter, the capture's trailer, docs/facts.md), so a new
 * row reaches them all and a rewording changes no key. Keys are snake_case identifiers: they are the contract of
 * -j (docs/json.md) and never change with the wording. */
#ifndef ZPCITRACE_FACTS_H
#define ZPCITRACE_FACTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "zt_losses.h"

/* the JSON contract's version: "schema" in the summary and in status -j; a key renamed or removed, or a value's
 * type changed, raises it (docs/json.md) */
#define ZT_JSON_SCHEMA 1

/* What the correlator counts, per function and in total (and per PEC where per_pec).
 * X(id, key, label, metric, help, per_pec); metric NULL: not exported */
#define ZT_COUNTERS(X)                                                                                              \
	X(ARRIVED, arrived, "errors arrived", "zpcitrace_errors_arrived_total",                                       \
	  "PCI errors the platform reported for the function.", true)                                                \
	X(AT_START, queued_before_start, "queued before the start", "zpcitrace_errors_queued_at_start_total",        \
	  "Errors already in the function's queue when zpcitrace started.", true)                                    \
	X(STORED, stored, "stored in the queue", "zpcitrace_errors_stored_total",                                     \
	  "Errors stored in the function's error queue.", true)                                                      \
	X(DROPPED_FULL, dropped, "dropped, queue full", "zpcitrace_errors_dropped_total",                             \
	  "Errors the kernel dropped because the function's queue already held 4.", true)                            \
	X(NOT_STORED, not_stored, "not stored, mediated recovery off", "zpcitrace_errors_not_stored_total",          \
	  "Errors not queued because mediated recovery was off (the host recovered the function).", true)            \
	X(ENQUEUE_UNKNOWN, enqueue_unknown, "enqueue outcome unknown", NULL,                                          \
	  "Enqueues whose outcome was neither stored, dropped nor not stored (the queue state did not tell).", true) \
	X(NOTIFIED, notified, "notifications to the VMM", "zpcitrace_notifications_total",                            \
	  "Error eventfd signals to the VMM.", false)                                                                 \
	X(DEQUEUED, dequeued, "dequeued by the VMM", "zpcitrace_errors_dequeued_total",                               \
	  "Errors the VMM read through VFIO_DEVICE_FEATURE.", true)                                                  \
	X(EMPTY, empty_reads, "empty reads (-ENOMSG)", "zpcitrace_empty_reads_total",                                 \
	  "Reads of an empty queue (-ENOMSG; v12: rc 0, pec 0).", false)                                             \
	X(LOST_EFAULT, lost, "lost after dequeue (-EFAULT)", "zpcitrace_errors_lost_total",                           \
	  "Errors taken off the queue that never reached the VMM (copy to its buffer failed, -EFAULT).", true)       \
	X(READ_FAILED, read_failed, "reads failed otherwise", NULL,                                                   \
	  "Reads of the error feature that failed with another error.", false)                                       \
	X(PROBES, probes, "feature probes", NULL, "VFIO_DEVICE_FEATURE_PROBE calls for the error feature.", false)   \
	X(OTHER_FEATURE, other_feature_calls, "other feature calls", NULL,                                            \
	  "Calls of the error feature that were neither a read nor a probe (SET, bad arguments).", false)            \
	X(OPENS, opens, "opens (mediated recovery on)", "zpcitrace_opens_total",                                      \
	  "vfio opens of the function (mediated recovery on).", false)                                               \
	X(CLOSES, closes, "closes (mediated recovery off)", "zpcitrace_closes_total",                                 \
	  "vfio closes of the function (mediated recovery off).", false)                                             \
	X(DISCARDED, discarded, "discarded at close", "zpcitrace_errors_discarded_total",                             \
	  "Errors still queued when vfio closed the function, discarded unread.", true)                              \
	X(AVAIL, availability_events, "availability events", NULL,                                                    \
	  "Configuration and hot-plug events of the function (PEC 0x03xx).", false)                                  \
	X(RESETS, resets, "function resets", "zpcitrace_resets_total", "zPCI resets of the function.", false)

enum zt_counter {
#define ZT_COUNTER_ENUM(id, ...) ZT_C_##id,
	ZT_COUNTERS(ZT_COUNTER_ENUM)
#undef ZT_COUNTER_ENUM
	ZT_NR_COUNTERS,
};

/* Figures of the whole run the correlator derives (the summary's, after the counters): X(id, key, label, help) */
#define ZT_RUN_FIGURES(X)                                                                                           \
	X(UNMATCHED, unmatched, "dequeues with no traced enqueue",                                                     \
	  "Dequeues of errors whose enqueue zpcitrace did not see, nor found queued at its start.")                  \
	X(UNSEEN, unseen, "dequeued unseen",                                                                           \
	  "Errors that left the queue by a dequeue zpcitrace did not trace (the queue counters show it).")           \
	X(OUT_OF_ORDER, out_of_order, "events out of time order",                                                      \
	  "Events older than one before them (their waits count as 0).")

enum zt_run_figure {
#define ZT_FIGURE_ENUM(id, ...) ZT_F_##id,
	ZT_RUN_FIGURES(ZT_FIGURE_ENUM)
#undef ZT_FIGURE_ENUM
	ZT_NR_RUN_FIGURES,
};

/* The books of a function: every error in exactly one bucket (struct zt_books, correlate.h).
 * X(field, key, header, help): header is the text table's column */
#define ZT_BOOKS(X)                                                                                                 \
	X(arrived, arrived, "ARRIVED", "Errors that arrived while traced.")                                           \
	X(at_start, queued_before_start, "ATSTART", "Errors found queued when tracing started.")                      \
	X(dropped, dropped, "DROPPED", "Dropped: the queue was full.")                                                \
	X(not_stored, not_stored, "NOTSTORED", "Not stored: mediated recovery was off.")                             \
	X(unknown, unknown, "UNKNOWN", "Enqueue outcome unknown.")                                                    \
	X(not_queued, not_queued, "NOTQUEUED", "Never offered to the queue (FMB events, functions without a driver).") \
	X(dequeued, dequeued, "DEQUEUED", "Read by the VMM.")                                                         \
	X(lost, lost, "LOST", "Taken off the queue, never reached the VMM (-EFAULT).")                               \
	X(discarded, discarded, "DISCARDED", "Still queued when vfio closed the function.")                          \
	X(pending, pending, "PENDING", "In the queue now.")                                                           \
	X(unseen, unseen, "UNSEEN", "Left the queue by a dequeue zpcitrace did not trace.")

enum zt_book {
#define ZT_BOOK_ENUM(field, ...) ZT_B_##field,
	ZT_BOOKS(ZT_BOOK_ENUM)
#undef ZT_BOOK_ENUM
	ZT_NR_BOOKS,
};

/* What the consumer of a function's queue does after each notification, since the device was opened
 * (zt_fn_consumer): judged once a notification is ZT_CONSUMER_GRACE_S old. X(id, key, label, help) */
#define ZT_CONSUMER_GRACE_S 5
#define ZT_CONSUMERS(X)                                                                                            \
	X(NONE, no_notification, "no notification yet",                                                              \
	  "No error was notified to the VMM since it opened the device.")                                            \
	X(WAITING, waiting, "too soon to judge",                                                                     \
	  "Notified less than 5 s ago, and not read to empty since: too soon to judge.")                             \
	X(DRAINS, drains, "drains",                                                                                   \
	  "Reads until the queue is empty (-ENOMSG) after each notification: a VMM with s390x error recovery.")     \
	X(READS_SOME, reads_some, "reads some",                                                                       \
	  "Has read the queue, yet a notification 5 s old is not followed by a read that found it empty.")          \
	X(NEVER_READS, never_reads, "never reads",                                                                    \
	  "Notified 5 s ago or more, and has not read the queue since it opened the device: with QEMU's releases "    \
	  "the guest is stopped (vm_stop), and the errors are discarded when the device closes.")

enum zt_consumer {
#define ZT_CONSUMER_ENUM(id, ...) ZT_CONS_##id,
	ZT_CONSUMERS(ZT_CONSUMER_ENUM)
#undef ZT_CONSUMER_ENUM
	ZT_NR_CONSUMERS,
};

struct zt_fact {
	const char *key;    /* JSON (and trailer) key */
	const char *label;  /* the text's words, or a table's column */
	const char *metric; /* the exporter's name, or NULL */
	const char *help;
	const char *since;  /* losses: the capture version whose trailer first holds it */
	bool per_pec;
};

extern const struct zt_fact zt_counter_facts[ZT_NR_COUNTERS];
extern const struct zt_fact zt_loss_facts[ZT_NR_LOSSES];
extern const struct zt_fact zt_figure_facts[ZT_NR_RUN_FIGURES];
extern const struct zt_fact zt_book_facts[ZT_NR_BOOKS];
extern const struct zt_fact zt_consumer_facts[ZT_NR_CONSUMERS];

/* the run's losses, in zt_loss order */
struct zt_losses {
	uint64_t n[ZT_NR_LOSSES];
};

/* every table above as the Markdown of docs/facts.md */
void zt_facts_markdown(FILE *out);

#endif
