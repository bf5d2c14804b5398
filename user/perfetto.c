// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "ccdf.h"
#include "correlate.h"
#include "format.h"
#include "perfetto.h"

#define EVENTS_TRACK 0 /* tid of a function's event track; its queue slots are tids 1..4 */

static double us(uint64_t ns)
{
	return ns / 1000.0;
}

static void comma(FILE *out, int *first)
{
	if (!*first)
		fputs(",\n", out);
	*first = 0;
}

static void meta(FILE *out, int *first, uint32_t pid, int tid, const char *what, const char *name)
{
	comma(out, first);
	fprintf(out, "{\"ph\":\"M\",\"pid\":%u,\"tid\":%d,\"name\":\"%s\",\"args\":{\"name\":\"%s\"}}", pid, tid, what, name);
}

int zt_perfetto_write(FILE *out, const struct zt_event *events, size_t n, long long realtime_off)
{
	struct zt_format_opts o = { .realtime_off = realtime_off };
	struct zt_corr corr;
	int first = 1;

	zt_corr_init(&corr);
	fprintf(out, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"zpcitrace\",\"realtime_offset_ns\":%lld},"
		     "\"traceEvents\":[\n", realtime_off);
	for (size_t i = 0; i < n; i++) {
		const struct zt_event *e = &events[i];
		struct zt_fn *known;
		struct zt_note note;
		const char *name;
		char line[1024];
		int len;

		if (!e->has_fn)
			continue;
		known = zt_corr_fn(&corr, e->fid);
		zt_corr_add(&corr, e, &note);
		if (!zt_corr_fn(&corr, e->fid))
			continue; /* the queue at start of a function nobody opened: not drawn, as not summed */
		if (!known) { /* first sight of this function: name its tracks */
			char label[96];

			snprintf(label, sizeof(label), "fid 0x%08x", e->fid);
			if (e->has_pci)
				snprintf(label + strlen(label), sizeof(label) - strlen(label), " (%04x:%02x:%02x.%x)",
					 e->pci_domain, e->pci_bus, e->pci_devfn >> 3, e->pci_devfn & 7);
			meta(out, &first, e->fid, EVENTS_TRACK, "process_name", label);
			meta(out, &first, e->fid, EVENTS_TRACK, "thread_name", "events");
			for (int s = 0; s < ZT_QUEUE_DEPTH; s++) {
				snprintf(label, sizeof(label), "queue slot %d", s);
				meta(out, &first, e->fid, s + 1, "thread_name", label);
			}
		}
		/* a matched dequeue closes its error's wait: a span on its slot's track */
		if (note.matched && e->has_slot) {
			comma(out, &first);
			fprintf(out, "{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"name\":\"queued\",\"cat\":\"wait\",\"ts\":%.3f,"
				     "\"dur\":%.3f,\"args\":{\"slot\":%u%s}}",
				e->fid, e->slot + 1u, us(e->ts_ns - note.latency_ns), us(note.latency_ns), e->slot,
				zt_dequeue_lost(e) ? ",\"lost\":true" : "");
		}
		/* the event itself: an instant with its text fields as arguments */
		len = zt_format_event_json(e, &note, &o, line, sizeof(line));
		if (e->type == ZT_EV_ENQUEUE)
			name = e->result == ZT_ENQ_DROPPED_FULL ? "drop" : zt_enqueue_result_name(e->result);
		else
			name = zt_event_name(e);
		comma(out, &first);
		fprintf(out, "{\"ph\":\"i\",\"s\":\"t\",\"pid\":%u,\"tid\":%d,\"name\":\"%s\",\"cat\":\"zpci\",\"ts\":%.3f,"
			     "\"args\":%s}",
			e->fid, EVENTS_TRACK, name, us(e->ts_ns), len > 0 && (size_t)len < sizeof(line) ? line : "{}");
	}
	fputs("\n]}\n", out);
	zt_corr_free(&corr);
	return ferror(out) ? -1 : 0;
}
