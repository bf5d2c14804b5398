// SPDX-License-Identifier: GPL-2.0
/* The live view: a line per event on stdout (text, or JSON with -j), a summary every -i interval and at exit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "format.h"
#include "sink.h"
#include "summary.h"

struct live {
	struct zt_sink sink;
	struct zt_format_opts fmt;
};

/* -j: the run's facts first, once: the schema, the machine, and the clock offset that puts each event's ts_ns
 * on the wall clock of other hosts' streams */
static int live_start(struct zt_sink *s)
{
	if (s->args.json && s->args.meta)
		zt_start_json(s->args.meta, stdout);
	return 0;
}

static void live_event(struct zt_sink *s, const struct zt_event *e, const struct zt_match *note)
{
	struct live *l = (struct live *)s;
	char line[1024];

	if (e->type == ZT_EV_QUEUE)
		return; /* a queue's state at start: the errors in it are lines of their own (status shows it) */
	if (s->args.json)
		zt_format_event_json(e, note, &l->fmt, line, sizeof(line));
	else
		zt_format_event(e, note, &l->fmt, line, sizeof(line));
	puts(line);
}

static void live_tick(struct zt_sink *s, const struct zt_snapshot *snap)
{
	if (s->args.json) {
		zt_summary_json(snap, stdout);
		fflush(stdout);
	} else {
		fflush(stdout); /* the events before the summary */
		zt_summary_text(snap, stderr);
	}
}

static int live_finish(struct zt_sink *s, const struct zt_snapshot *snap)
{
	return zt_summary_end(snap, s->args.json);
}

static void sink_free(struct zt_sink *s)
{
	free(s);
}

struct zt_sink *zt_sink_live_new(const struct zt_sink_args *a)
{
	struct live *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->sink = (struct zt_sink){ .start = live_start, .event = live_event, .tick = live_tick, .finish = live_finish,
				    .free = sink_free, .args = *a };
	l->fmt = (struct zt_format_opts){ .timestamp = a->timestamp, .realtime_off = a->realtime_off };
	return &l->sink;
}
