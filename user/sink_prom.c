// SPDX-License-Identifier: GPL-2.0
/* The Prometheus textfile exporter: no events, the file written at start, every interval and at the end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prom.h"
#include "sink.h"
#include "summary.h"

struct prom {
	struct zt_sink sink;
	int last_err; /* said once when writing starts failing, and once when it works again */
};

static int export(struct prom *p, const struct zt_snapshot *snap)
{
	char why[4200];
	int err = zt_prom_write(snap, p->sink.args.path, why, sizeof(why));

	if (err && err != p->last_err)
		fprintf(stderr, "zpcitrace: %s\n", why);
	else if (!err && p->last_err)
		fprintf(stderr, "zpcitrace: %s written again\n", p->sink.args.path);
	p->last_err = err;
	p->sink.out = (struct zt_output_state){ "textfile", err ? p->sink.out.written_ns : snap->now_ns, err };
	return err;
}

static int prom_start(struct zt_sink *s)
{
	struct zt_snapshot snap;

	s->args.snapshot(s->args.snapshot_ctx, &snap);
	return export((struct prom *)s, &snap) ? -EIO : 0; /* the path is unusable from the start: bad input */
}

static void prom_event(struct zt_sink *s, const struct zt_event *e, const struct zt_match *note)
{
	(void)s, (void)e, (void)note; /* an exporter: the metrics are the output */
}

static void prom_tick(struct zt_sink *s, const struct zt_snapshot *snap)
{
	export((struct prom *)s, snap);
}

static int prom_finish(struct zt_sink *s, const struct zt_snapshot *snap)
{
	export((struct prom *)s, snap); /* the last state, also on SIGINT and SIGTERM */
	return zt_summary_end(snap, false);
}

static void prom_free(struct zt_sink *s)
{
	free(s);
}

struct zt_sink *zt_sink_prom_new(const struct zt_sink_args *a)
{
	struct prom *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->sink = (struct zt_sink){ .start = prom_start, .event = prom_event, .tick = prom_tick, .finish = prom_finish,
				    .free = prom_free, .args = *a };
	return &p->sink;
}
