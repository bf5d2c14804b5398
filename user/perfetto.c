// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "ccdf.h"
#include "correlate.h"
#include "event.h"
#include "format.h"
#include "perfetto.h"
#include "text.h"

#define EVENTS_TRACK 0 /* tid of a function's event track; its queue slots are tids 1..4 */
#define GLOBAL_PID 0   /* the trace's own markers: gaps and losses */

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

/* an error's time in its queue slot, and how it ended */
static void wait_span(FILE *out, int *first, uint32_t fid, unsigned slot, uint64_t from, uint64_t to, const char *end)
{
	comma(out, first);
	fprintf(out, "{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"name\":\"queued\",\"cat\":\"wait\",\"ts\":%.3f,"
		     "\"dur\":%.3f,\"args\":{\"slot\":%u,\"end\":\"%s\"}}",
		fid, slot + 1, zt_us(from), zt_us(to > from ? to - from : 0), slot, end);
}

/* a mark across the whole trace */
static void global_mark(FILE *out, int *first, uint64_t ts, const char *name, unsigned long long n)
{
	comma(out, first);
	fprintf(out, "{\"ph\":\"i\",\"s\":\"g\",\"pid\":%d,\"tid\":0,\"name\":\"%s\",\"cat\":\"gap\",\"ts\":%.3f,"
		     "\"args\":{\"events\":%llu}}", GLOBAL_PID, name, zt_us(ts), n);
}

static void name_tracks(FILE *out, int *first, const struct zt_event *e)
{
	char label[96];

	char pci[32];

	zt_pci_name(e->has_pci, e->pci_domain, e->pci_bus, e->pci_devfn, pci, sizeof(pci));
	snprintf(label, sizeof(label), e->has_pci ? "fid 0x%08x (%s)" : "fid 0x%08x", e->fid, pci);
	meta(out, first, e->fid, EVENTS_TRACK, "process_name", label);
	meta(out, first, e->fid, EVENTS_TRACK, "thread_name", "events");
	for (int s = 0; s < ZT_QUEUE_DEPTH; s++) {
		snprintf(label, sizeof(label), "queue slot %d", s);
		meta(out, first, e->fid, s + 1, "thread_name", label);
	}
}

static void event(FILE *out, int *first, const struct zt_event *e, const struct zt_match *note,
		  const struct zt_format_opts *o)
{
	char line[1024];
	const char *name;
	int len;

	if (note->matched && e->has_slot)
		wait_span(out, first, e->fid, e->slot, e->ts_ns - note->latency_ns, e->ts_ns,
			  zt_dequeue_lost(e) ? "lost" : "dequeued");
	for (int i = 0; i < note->ndiscarded; i++)
		wait_span(out, first, e->fid, note->discarded[i].slot, note->discarded[i].enqueue_ns, e->ts_ns, "discarded");
	/* the event itself: an instant with its text fields as arguments; a drop marks the whole function */
	len = zt_format_event_json(e, note, o, line, sizeof(line));
	if (e->type == ZT_EV_ENQUEUE)
		name = e->result == ZT_ENQ_DROPPED_FULL ? "drop" : zt_enqueue_result_name(e->result);
	else
		name = zt_event_name(e);
	comma(out, first);
	fprintf(out, "{\"ph\":\"i\",\"s\":\"%s\",\"pid\":%u,\"tid\":%d,\"name\":\"%s\",\"cat\":\"zpci\",\"ts\":%.3f,"
		     "\"args\":%s}",
		e->type == ZT_EV_ENQUEUE && e->result == ZT_ENQ_DROPPED_FULL ? "p" : "t", e->fid, EVENTS_TRACK, name,
		zt_us(e->ts_ns), len > 0 && (size_t)len < sizeof(line) ? line : "{}");
	if (e->q_valid) {
		comma(out, first);
		fprintf(out, "{\"ph\":\"C\",\"pid\":%u,\"tid\":%d,\"name\":\"queue depth\",\"ts\":%.3f,\"args\":{\"depth\":%u}}",
			e->fid, EVENTS_TRACK, zt_us(e->ts_ns), e->q_count);
	}
}

/* what is still queued at the end waited until then */
static void pending_spans(FILE *out, int *first, const struct zt_corr *corr, uint64_t end_ns)
{
	for (size_t i = 0; i < corr->nfns; i++)
		for (int s = 0; s < ZT_QUEUE_DEPTH; s++)
			if (zt_fn_slot_pending(&corr->fns[i], s))
				wait_span(out, first, corr->fns[i].fid, (unsigned)s, corr->fns[i].slot[s].enqueue_ns, end_ns,
					  "pending");
}

static void gap_marks(FILE *out, int *first, const struct zt_perfetto_ctx *ctx, uint64_t first_ns, uint64_t end_ns)
{
	const struct zt_capture_gaps *g = ctx->gaps;

	if (g && g->overwritten)
		global_mark(out, first, first_ns, "events overwritten before this dump", g->overwritten);
	if (ctx->ringbuf_lost)
		global_mark(out, first, end_ns, "events lost in the ring buffer (when: unknown)", ctx->ringbuf_lost);
	if (g && g->unwritten)
		global_mark(out, first, end_ns, "events the recorder could not write (when: unknown)", g->unwritten);
	if (g && g->skipped_lines)
		global_mark(out, first, end_ns, "damaged capture lines skipped", g->skipped_lines);
	if (g && g->cut)
		global_mark(out, first, end_ns, "capture cut short here", 0);
}

int zt_perfetto_write(FILE *out, const struct zt_event *events, size_t n, const struct zt_perfetto_ctx *ctx)
{
	struct zt_format_opts o = { .realtime_off = ctx->realtime_off };
	uint64_t end_ns = ctx->end_ns;
	struct zt_corr corr;
	int first = 1;

	zt_corr_init(&corr);
	fprintf(out, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"zpcitrace\",\"realtime_offset_ns\":%lld},"
		     "\"traceEvents\":[\n", ctx->realtime_off);
	for (size_t i = 0; i < n; i++) {
		const struct zt_event *e = &events[i];
		struct zt_fn *known;
		struct zt_match note;

		if (e->ts_ns > end_ns)
			end_ns = e->ts_ns;
		if (!e->has_fn)
			continue;
		known = zt_corr_fn(&corr, e->fid);
		zt_corr_add(&corr, e, &note);
		if (!zt_corr_fn(&corr, e->fid))
			continue; /* the queue at start of a function nobody opened: not drawn, as not summed */
		if (!known)
			name_tracks(out, &first, e);
		event(out, &first, e, &note, &o);
	}
	pending_spans(out, &first, &corr, end_ns);
	gap_marks(out, &first, ctx, n ? events[0].ts_ns : 0, end_ns);
	fputs("\n]}\n", out);
	zt_corr_free(&corr);
	return ferror(out) ? -1 : 0;
}
