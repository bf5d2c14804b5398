// SPDX-License-Identifier: GPL-2.0
/* record --flight-recorder N: the last N events in memory, written as a complete capture (capture.h) to FILE.1,
 * FILE.2, ... on SIGUSR1, on a queue overflow or a discard at close (those at most once a second), and to FILE
 * at the end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "capture.h"
#include "sink.h"

#define AUTO_DUMP_GAP_NS 1000000000ull /* overflow and discard dumps: at most one a second */
#define RETRY_MS 100                    /* a dump waiting out that limit is looked at this often */

struct flight {
	struct zt_sink sink;
	struct zt_event *ring;
	size_t head, count;
	uint64_t overwritten, dumps, last_auto_dump_ns;
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
	if (f->count < n) {
		f->count++;
	} else {
		f->head = (f->head + 1) % n;
		f->overwritten++;
	}
	if (e->type == ZT_EV_ENQUEUE && e->result == ZT_ENQ_DROPPED_FULL)
		f->auto_reason = "overflow";
	else if (e->type == ZT_EV_CLOSE && e->discarded)
		f->auto_reason = "discard";
}

/* the ring as a capture of its own, written atomically to path */
static int dump(struct flight *f, const char *path, const char *reason, const struct zt_snapshot *snap)
{
	const struct zt_sink_args *a = &f->sink.args;
	struct zt_capture_writer w;
	char why[4200];
	int err = zt_capture_writer_open(&w, path, why, sizeof(why));

	if (err) {
		fprintf(stderr, "zpcitrace: %s\n", why);
		return err;
	}
	zt_capture_writer_header(&w, a->meta, (unsigned)a->flight_n);
	for (size_t i = 0; i < f->count; i++)
		zt_capture_writer_event(&w, &f->ring[(f->head + i) % a->flight_n], a->realtime_off);
	zt_capture_writer_trailer(&w, snap, reason, f->overwritten);
	err = zt_capture_writer_close(&w);
	if (err)
		fprintf(stderr, "zpcitrace: cannot write %s: %s; no dump written\n", path, strerror(-err));
	else
		fprintf(stderr, "zpcitrace: flight recorder: %zu events written to %s (%s)\n", f->count, path, reason);
	return err;
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
	snprintf(path, sizeof(path), "%s.%llu", s->args.path, (unsigned long long)++f->dumps);
	s->args.snapshot(s->args.snapshot_ctx, &snap);
	dump(f, path, reason, &snap);
}

static int flight_wait_ms(struct zt_sink *s)
{
	return ((struct flight *)s)->auto_reason ? RETRY_MS : -1; /* a dump waits out its rate limit */
}

static int flight_finish(struct zt_sink *s, const struct zt_snapshot *snap)
{
	int err = dump((struct flight *)s, s->args.path, "exit", snap);

	return zt_sink_summary(snap, false) ?: err;
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
	f->sink = (struct zt_sink){ .event = flight_event, .drained = flight_drained, .wait_ms = flight_wait_ms,
				    .finish = flight_finish, .free = flight_free, .args = *a };
	return &f->sink;
}
