/* SPDX-License-Identifier: GPL-2.0 */
/* A Chrome trace-event JSON timeline (ui.perfetto.dev opens it): one process per zPCI function, whose first
 * track holds its events as instants and whose queue-slot tracks draw each error's wait as a span. */
#ifndef ZPCITRACE_PERFETTO_H
#define ZPCITRACE_PERFETTO_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "zpcitrace.h"

/* events in time order; realtime_off only labels the trace */
int zt_perfetto_write(FILE *out, const struct zt_event *events, size_t n, long long realtime_off);

#endif
