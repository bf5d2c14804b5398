// SPDX-License-Identifier: GPL-2.0
/* record -w FILE: every event to a capture as it streams (capture.h), whole lines after each drain. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"
#include "sink.h"

struct record {
	struct zt_sink sink;
	struct zt_capture_writer w;
	bool failing; /* the newest write failed */
};

static int record_start(struct zt_sink *s)
{
	struct record *r = (struct record *)s;
	char why[4200];
	int err = zt_capture_writer_open(&r->w, s->args.path, why, sizeof(why));

	if (!err) {
		zt_capture_writer_header(&r->w, s->args.meta, 0);
		err = zt_capture_writer_publish(&r->w) ?: r->w.err;
		snprintf(why, sizeof(why), "cannot write %s: %s", s->args.path, strerror(-err));
	}
	if (err)
		fprintf(stderr, "zpcitrace: %s\n", why);
	return err;
}

static void record_event(struct zt_sink *s, const struct zt_event *e, const struct zt_match *note)
{
	(void)note;
	zt_capture_writer_event(&((struct record *)s)->w, e, s->args.realtime_off);
}

/* whole lines: a kill loses at most this batch. A failed write is said when it starts and when writes work
 * again, with the events lost meanwhile (the file is cut back to its last whole line) */
static void record_drained(struct zt_sink *s, bool sigusr1)
{
	struct record *r = (struct record *)s;
	int err = zt_capture_writer_flush(&r->w);

	(void)sigusr1;
	if (err && !r->failing)
		fprintf(stderr, "zpcitrace: writing %s failed: %s; events are lost until it works again%s\n",
			s->args.path, strerror(-err), r->w.dead ? " (it cannot: nothing more is written)" : "");
	else if (!err && r->failing)
		fprintf(stderr, "zpcitrace: writing %s works again; %llu events could not be written\n", s->args.path,
			(unsigned long long)r->w.unwritten);
	r->failing = err != 0;
}

/* the capture's end, with the same snapshot the summary shows */
static int record_finish(struct zt_sink *s, const struct zt_snapshot *snap)
{
	struct zt_capture_writer *w = &((struct record *)s)->w;
	int err;

	zt_capture_writer_trailer(w, snap, "exit", 0);
	err = zt_capture_writer_close(w);
	if (err)
		fprintf(stderr, "zpcitrace: %llu events written to %s; %llu could not be written (%s)%s\n",
			(unsigned long long)w->written, s->args.path, (unsigned long long)w->unwritten, strerror(-err),
			w->unwritten || !w->written ? "" : ", nor the trailer");
	else
		fprintf(stderr, "zpcitrace: %llu events written to %s\n", (unsigned long long)w->written, s->args.path);
	return zt_sink_summary(snap, false) ?: err;
}

static void record_free(struct zt_sink *s)
{
	struct record *r = (struct record *)s;

	if (r->w.fd >= 0)
		zt_capture_writer_close(&r->w); /* a start that failed after the open */
	free(r);
}

struct zt_sink *zt_sink_record_new(const struct zt_sink_args *a)
{
	struct record *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->sink = (struct zt_sink){ .start = record_start, .event = record_event, .drained = record_drained,
				    .finish = record_finish, .free = record_free, .args = *a };
	r->w.fd = -1;
	return &r->sink;
}
