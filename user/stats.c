// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include "format.h"
#include "stats.h"

static const char *const names[ZT_NR_COUNTERS] = {
	[ZT_C_ARRIVED] = "errors arrived",
	[ZT_C_STORED] = "stored in the queue",
	[ZT_C_DROPPED_FULL] = "dropped, queue full",
	[ZT_C_NOT_STORED] = "not stored, mediated recovery off",
	[ZT_C_ENQUEUE_UNKNOWN] = "enqueue outcome unknown",
	[ZT_C_NOTIFIED] = "notifications to the VMM",
	[ZT_C_DEQUEUED] = "dequeued by the VMM",
	[ZT_C_EMPTY] = "empty reads (-ENOMSG)",
	[ZT_C_LOST_EFAULT] = "lost after dequeue (-EFAULT)",
	[ZT_C_READ_FAILED] = "reads failed otherwise",
	[ZT_C_PROBES] = "feature probes",
	[ZT_C_OTHER_FEATURE] = "other feature calls",
	[ZT_C_OPENS] = "opens (mediated recovery on)",
	[ZT_C_CLOSES] = "closes (mediated recovery off)",
	[ZT_C_DISCARDED] = "discarded at close",
	[ZT_C_AVAIL] = "availability events",
	[ZT_C_RESETS] = "function resets",
};

const char *zt_counter_name(enum zt_counter c)
{
	return c < ZT_NR_COUNTERS ? names[c] : "?";
}

void zt_stats_add(struct zt_stats *s, const struct zt_event *e)
{
	switch (e->type) {
	case ZT_EV_ARRIVAL:
		s->n[ZT_C_ARRIVED]++;
		break;
	case ZT_EV_ENQUEUE:
		switch (e->result) {
		case ZT_ENQ_STORED:
			s->n[ZT_C_STORED]++;
			break;
		case ZT_ENQ_DROPPED_FULL:
			s->n[ZT_C_DROPPED_FULL]++;
			break;
		case ZT_ENQ_NOT_STORED:
			s->n[ZT_C_NOT_STORED]++;
			break;
		default:
			s->n[ZT_C_ENQUEUE_UNKNOWN]++;
		}
		break;
	case ZT_EV_NOTIFY:
		s->n[ZT_C_NOTIFIED]++;
		break;
	case ZT_EV_FEATURE:
		if (zt_feature_kind(e) == ZT_FEATURE_PROBE)
			s->n[ZT_C_PROBES]++;
		else if (zt_feature_kind(e) == ZT_FEATURE_OTHER)
			s->n[ZT_C_OTHER_FEATURE]++;
		else if (zt_dequeue_lost(e))
			s->n[ZT_C_LOST_EFAULT]++;
		else if (e->ret == 0 && !(e->v12 && e->v12_pec == 0))
			s->n[ZT_C_DEQUEUED]++;
		else if (e->ret == -ENOMSG || (e->ret == 0 && e->v12))
			s->n[ZT_C_EMPTY]++; /* v12 answers an empty queue with pec 0 */
		else
			s->n[ZT_C_READ_FAILED]++;
		break;
	case ZT_EV_OPEN:
		s->n[ZT_C_OPENS]++;
		break;
	case ZT_EV_CLOSE:
		s->n[ZT_C_CLOSES]++;
		s->n[ZT_C_DISCARDED] += e->discarded;
		break;
	case ZT_EV_AVAIL:
		s->n[ZT_C_AVAIL]++;
		break;
	case ZT_EV_RESET:
		s->n[ZT_C_RESETS]++;
		break;
	}
}

void zt_stats_print(const struct zt_stats *s, unsigned long long ringbuf_drops, FILE *out)
{
	for (int c = 0; c < ZT_NR_COUNTERS; c++)
		fprintf(out, "  %-36s %llu\n", names[c], s->n[c]);
	fprintf(out, "  %-36s %llu\n", "events lost in the ring buffer", ringbuf_drops);
}
