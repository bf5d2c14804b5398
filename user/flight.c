// SPDX-License-Identifier: GPL-2.0
/* record --flight-recorder N: the last N events in memory, written as a complete capture (capture.h) to FILE.K
 * on SIGUSR1, on a queue overflow or a discard at close (those at most once a second), and to FILE at the end.
 * A run never replaces what an earlier one left: an existing FILE is kept as a dump, and the dumps continue after
 * the highest FILE.K. Each dump holds only the events no dump before it holds (a guest that overflows its queue
 * all day writes each event once), and at most -W dumps lie on disk: the next overflow's dump is held back,
 * counted and said. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "capture.h"
#include "sink.h"
#include "summary.h"

#define AUTO_DUMP_GAP_NS 1000000000ull /* overflow and discard dumps: at most one a second */
#define RETRY_MS 100                    /* a dump waiting out that limit is looked at this often */

struct flight {
	struct zt_sink sink;
	struct zt_event *ring;
	size_t head, count;
	uint64_t seen;           /* events of the run: the ring holds the newest count of them */
	uint64_t dumped_upto;    /* the first this many are in dumps already */
	uint64_t dumped_events;  /* how many of those the dumps hold (the rest were overwritten before one) */
	uint64_t next_dump, on_disk, max_dumps, held_back, last_auto_dump_ns;
	const char *auto_reason; /* an overflow or discard asked for a dump */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void flight_event(struct zt_sink *s, const struct zt_event *e, const struct zt_match *note)
{
	struct flight *f = (struct flight *)s;
	size_t n = s->args.flight_n;

	(void)note;
	f->ring[(f->head + f->count) % n] = *e;
	f->seen++;
	if (f->count < n)
		f->count++;
	else
		f->head = (f->head + 1) % n;
	if (e->type == ZT_EV_ENQUEUE && e->result == ZT_ENQ_DROPPED_FULL)
		f->auto_reason = "overflow";
	else if (e->type == ZT_EV_CLOSE && e->discarded)
		f->auto_reason = "discard";
}

/* the owner an open or a queue read in the ring had: the function's now, if the same process (the ring keeps
 * events only) */
static const struct zt_owner *ring_owner(const struct zt_snapshot *snap, const struct zt_event *e)
{
	const struct zt_fn *f;

	if (!e->has_fn || (e->type != ZT_EV_OPEN && (e->type != ZT_EV_QUEUE || !e->q_mr)))
		return NULL;
	f = zt_corr_fn(snap->corr, e->fid);
	return f && f->owner.pid && (e->type == ZT_EV_QUEUE || f->owner.pid == (int32_t)e->pid) ? &f->owner : NULL;
}

/* the events no dump holds yet, as a capture of its own, written atomically to path */
static int dump(struct flight *f, const char *path, const char *reason, const struct zt_snapshot *snap)
{
	const struct zt_sink_args *a = &f->sink.args;
	uint64_t first = f->seen - f->count; /* the ring's oldest event, counted from 0 */
	size_t skip = f->dumped_upto > first ? (size_t)(f->dumped_upto - first) : 0;
	uint64_t overwritten = first > f->dumped_upto ? first - f->dumped_upto : 0;
	struct zt_capture_writer w;
	char why[4200];
	int err = zt_capture_writer_open(&w, path, why, sizeof(why));

	if (err) {
		fprintf(stderr, "zpcitrace: %s\n", why);
		return err;
	}
	zt_capture_writer_header(&w, a->meta, (unsigned)a->flight_n);
	for (size_t i = skip; i < f->count; i++) {
		const struct zt_event *e = &f->ring[(f->head + i) % a->flight_n];

		zt_capture_writer_event_owner(&w, e, a->realtime_off, ring_owner(snap, e));
	}
	zt_capture_writer_trailer(&w, snap, reason,
				  &(struct zt_capture_flight){ .overwritten = f->dumped_upto - f->dumped_events + overwritten,
							       .earlier = f->dumped_events, .held_back = f->held_back });
	err = zt_capture_writer_close(&w);
	if (err) {
		fprintf(stderr, "zpcitrace: cannot write %s: %s; no dump written\n", path, strerror(-err));
		return err;
	}
	fprintf(stderr, "zpcitrace: flight recorder: %zu events written to %s (%s)\n", f->count - skip, path, reason);
	f->dumped_events += f->count - skip;
	f->dumped_upto = f->seen;
	return 0;
}

/* dumps asked for by SIGUSR1, or by an overflow or discard */
static void flight_drained(struct zt_sink *s, bool sigusr1)
{
	struct flight *f = (struct flight *)s;
	const char *reason = sigusr1 ? "sigusr1" : f->auto_reason;
	struct zt_snapshot snap;
	char path[4096];

	if (!reason || (!sigusr1 && mono_ns() - f->last_auto_dump_ns < AUTO_DUMP_GAP_NS))
		return;
	if (!sigusr1)
		f->last_auto_dump_ns = mono_ns();
	f->auto_reason = NULL;
	if (f->seen == f->dumped_upto && !sigusr1) /* nothing new since the last dump */
		return;
	/* the disk's bound: an overflow's dump waits for room (SIGUSR1 is the operator's own ask) */
	if (!sigusr1 && f->on_disk >= f->max_dumps) {
		if (!f->held_back++)
			fprintf(stderr, "zpcitrace: flight recorder: %llu dumps of %s on disk, the most -W allows: the "
				"next ones are held back and counted (remove dumps, or raise -W)\n",
				(unsigned long long)f->on_disk, s->args.path);
		return;
	}
	snprintf(path, sizeof(path), "%s.%llu", s->args.path, (unsigned long long)f->next_dump++);
	s->args.snapshot(s->args.snapshot_ctx, &snap);
	if (!dump(f, path, reason, &snap))
		f->on_disk++;
}

/* what an earlier run left stays: its FILE kept as a dump, this run's dumps after the highest */
static int flight_start(struct zt_sink *s)
{
	struct flight *f = (struct flight *)s;
	char why[4300];

	if (zt_capture_keep_existing(s->args.path, why, sizeof(why))) {
		fprintf(stderr, "zpcitrace: %s: refusing to replace it\n", why);
		return -EEXIST;
	}
	f->next_dump = zt_capture_highest_index(s->args.path, &f->on_disk) + 1;
	fprintf(stderr, "zpcitrace: flight recorder: the last %lu events in memory (%.1f MiB); dumps from %s.%llu, "
		"at most %llu on disk\n", s->args.flight_n, s->args.flight_n * sizeof(struct zt_event) / 1048576.0,
		s->args.path, (unsigned long long)f->next_dump, (unsigned long long)f->max_dumps);
	return 0;
}

static int flight_wait_ms(struct zt_sink *s)
{
	return ((struct flight *)s)->auto_reason ? RETRY_MS : -1; /* a dump waits out its rate limit */
}

static int flight_finish(struct zt_sink *s, const struct zt_snapshot *snap)
{
	struct flight *f = (struct flight *)s;
	int err = dump(f, s->args.path, "exit", snap);

	if (f->held_back)
		fprintf(stderr, "zpcitrace: flight recorder: %llu dumps were held back (-W %llu)\n",
			(unsigned long long)f->held_back, (unsigned long long)f->max_dumps);
	return zt_summary_end(snap, false) ?: err;
}

static void flight_free(struct zt_sink *s)
{
	struct flight *f = (struct flight *)s;

	free(f->ring);
	free(f);
}

struct zt_sink *zt_sink_flight_new(const struct zt_sink_args *a)
{
	struct flight *f = calloc(1, sizeof(*f));

	if (f)
		f->ring = calloc(a->flight_n, sizeof(*f->ring));
	if (!f || !f->ring) {
		fprintf(stderr, "zpcitrace: no memory for a flight recorder of %lu events\n", a->flight_n);
		free(f);
		return NULL;
	}
	f->sink = (struct zt_sink){ .start = flight_start, .event = flight_event, .drained = flight_drained,
				    .wait_ms = flight_wait_ms, .finish = flight_finish, .free = flight_free, .args = *a };
	f->max_dumps = a->flight_dumps ? a->flight_dumps : ZT_FLIGHT_DUMPS;
	return &f->sink;
}
