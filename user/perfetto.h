/* SPDX-License-Identifier: GPL-2.0 */
/* A Chrome trace-event JSON timeline (ui.perfetto.dev opens it): one process per zPCI function, whose first
 * track holds its events as instants, whose queue-slot tracks draw each error's wait as a span (dequeued, lost,
 * discarded at close, or still pending at the end), and whose counter track is its queue depth. Drops, ring-buffer
 * losses and a capture's gaps are marked. */
#ifndef ZPCITRACE_PERFETTO_H
#define ZPCITRACE_PERFETTO_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "snapshot.h"
#include "zt_event.h"

struct zt_perfetto_ctx {
	long long realtime_off;             /* labels the trace */
	uint64_t end_ns;                    /* the end of the observation: pending errors' spans end there */
	const struct zt_losses *losses;     /* marked at the end; may be NULL */
	const struct zt_capture_gaps *gaps; /* marked: overwritten at the start, cut at the end; may be NULL */
	/* what the report's one correlation found, per event: what it matched, and whether its function is drawn
	 * (the queue at start of a function nobody opened is not, as it is not summed); the correlator at the end,
	 * for what is still queued */
	const struct zt_match *notes;
	const bool *drawn;
	const struct zt_corr *corr;
};

/* events in time order, correlated already (ctx) */
int zt_perfetto_write(FILE *out, const struct zt_event *events, size_t n, const struct zt_perfetto_ctx *ctx);

#endif
