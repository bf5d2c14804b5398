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
	return zt_sink_summary(snap, s->args.json);
}

int zt_sink_summary(const struct zt_snapshot *snap, bool json)
{
	if (json)
		zt_summary_json(snap, stdout);
	else {
		fflush(stdout);
		zt_summary_text(snap, stderr);
	}
	if (fflush(stdout) || ferror(stdout)) { /* a full disk or a closed pipe lost lines: never exit 0 */
		int err = errno ?: EIO;

		fprintf(stderr, "zpcitrace: writing to stdout failed: %s\n", strerror(err));
		return -err;
	}
	return 0;
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
	l->sink = (struct zt_sink){ .event = live_event, .tick = live_tick, .finish = live_finish, .free = sink_free,
				    .args = *a };
	l->fmt = (struct zt_format_opts){ .timestamp = a->timestamp, .realtime_off = a->realtime_off };
	return &l->sink;
}
