/* SPDX-License-Identifier: GPL-2.0 */
/* Counts of what was traced, for the exit summary. */
#ifndef ZPCITRACE_STATS_H
#define ZPCITRACE_STATS_H

#include <stdio.h>
#include <linux/types.h>
#include "zpcitrace.h"

enum zt_counter {
	ZT_C_ARRIVED,
	ZT_C_STORED,
	ZT_C_DROPPED_FULL,
	ZT_C_NOT_STORED,
	ZT_C_ENQUEUE_UNKNOWN,
	ZT_C_NOTIFIED,
	ZT_C_DEQUEUED,
	ZT_C_EMPTY,
	ZT_C_LOST_EFAULT,
	ZT_C_READ_FAILED,
	ZT_C_PROBES,
	ZT_C_OTHER_FEATURE,
	ZT_C_OPENS,
	ZT_C_CLOSES,
	ZT_C_DISCARDED,
	ZT_C_AVAIL,
	ZT_C_RESETS,
	ZT_NR_COUNTERS,
};

struct zt_stats {
	unsigned long long n[ZT_NR_COUNTERS];
};

void zt_stats_add(struct zt_stats *s, const struct zt_event *e);
const char *zt_counter_name(enum zt_counter c);
/* "  <name> <count>" lines, then the ring buffer's losses */
void zt_stats_print(const struct zt_stats *s, unsigned long long ringbuf_drops, FILE *out);

#endif
