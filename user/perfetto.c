// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "ccdf.h"
#include "correlate.h"
#include "event.h"
#include "jsonw.h"
#include "perfetto.h"
#include "text.h"

#define EVENTS_TRACK 0 /* tid of a function's event track; its queue slots are tids 1..4 */
#define GLOBAL_PID 0   /* the trace's own markers: gaps and losses */

/* the fields every trace event has */
static void trace_event(struct zt_jw *w, const char *ph, uint32_t pid, unsigned tid, const char *name)
{
	zt_jw_open(w, NULL, '{');
	zt_jw_str(w, "ph", ph);
	zt_jw_u64(w, "pid", pid);
	zt_jw_u64(w, "tid", tid);
	zt_jw_str(w, "name", name);
}

static void meta(struct zt_jw *w, uint32_t pid, unsigned tid, const char *what, const char *name)
{
	trace_event(w, "M", pid, tid, what);
	zt_jw_open(w, "args", '{');
	zt_jw_str(w, "name", name);
	zt_jw_close(w, '}');
	zt_jw_close(w, '}');
}

/* an error's time in its queue slot, and how it ended */
static void wait_span(struct zt_jw *w, uint32_t fid, unsigned slot, uint64_t from, uint64_t to, const char *end)
{
	trace_event(w, "X", fid, slot + 1, "queued");
	zt_jw_str(w, "cat", "wait");
	zt_jw_f3(w, "ts", zt_us(from));
	zt_jw_f3(w, "dur", zt_us(to > from ? to - from : 0));
	zt_jw_open(w, "args", '{');
	zt_jw_u64(w, "slot", slot);
	zt_jw_str(w, "end", end);
	zt_jw_close(w, '}');
	zt_jw_close(w, '}');
}

/* a mark across the whole trace */
static void global_mark(struct zt_jw *w, uint64_t ts, const char *name, unsigned long long n)
{
	zt_jw_open(w, NULL, '{');
	zt_jw_str(w, "ph", "i");
	zt_jw_str(w, "s", "g");
	zt_jw_u64(w, "pid", GLOBAL_PID);
	zt_jw_u64(w, "tid", 0);
	zt_jw_str(w, "name", name);
	zt_jw_str(w, "cat", "gap");
	zt_jw_f3(w, "ts", zt_us(ts));
	zt_jw_open(w, "args", '{');
	zt_jw_u64(w, "events", n);
	zt_jw_close(w, '}');
	zt_jw_close(w, '}');
}

static void name_tracks(struct zt_jw *w, const struct zt_event *e)
{
	char label[96], pci[32];

	zt_pci_name(e->has_pci, e->pci_domain, e->pci_bus, e->pci_devfn, pci, sizeof(pci));
	snprintf(label, sizeof(label), e->has_pci ? "fid 0x%08x (%s)" : "fid 0x%08x", e->fid, pci);
	meta(w, e->fid, EVENTS_TRACK, "process_name", label);
	meta(w, e->fid, EVENTS_TRACK, "thread_name", "events");
	for (int s = 0; s < ZT_QUEUE_DEPTH; s++) {
		snprintf(label, sizeof(label), "queue slot %d", s);
		meta(w, e->fid, (unsigned)s + 1, "thread_name", label);
	}
}

/* the text's values: the timeline is read by people */
static void arg_field(void *ctx, const struct zt_field *f)
{
	if (f->quote)
		zt_jw_str(ctx, f->key, f->value);
	else
		zt_jw_raw(ctx, f->key, f->value);
}

/* an event's arguments: the fields of its live-view line */
static void event_args(struct zt_jw *w, const struct zt_event *e, const struct zt_match *note, long long realtime_off)
{
	char time[32];

	zt_jw_open(w, "args", '{');
	zt_jw_str(w, "event", zt_event_name(e));
	zt_jw_u64(w, "ts_ns", e->ts_ns);
	zt_jw_str(w, "time", zt_wall_time(e->ts_ns, realtime_off, time, sizeof(time)));
	zt_event_fields(e, note, arg_field, w);
	zt_jw_close(w, '}');
}

static void event(struct zt_jw *w, const struct zt_event *e, const struct zt_match *note, long long realtime_off)
{
	bool drop = e->type == ZT_EV_ENQUEUE && e->result == ZT_ENQ_DROPPED_FULL;

	if (note->matched && e->has_slot)
		wait_span(w, e->fid, e->slot, e->ts_ns - note->latency_ns, e->ts_ns, zt_dequeue_lost(e) ? "lost" : "dequeued");
	for (int i = 0; i < note->ndiscarded; i++)
		wait_span(w, e->fid, note->discarded[i].slot, note->discarded[i].enqueue_ns, e->ts_ns, "discarded");
	/* the event itself: an instant with its fields as arguments; a drop marks the whole function */
	trace_event(w, "i", e->fid, EVENTS_TRACK,
		    e->type != ZT_EV_ENQUEUE ? zt_event_name(e) : drop ? "drop" : zt_enqueue_result_name(e->result));
	zt_jw_str(w, "s", drop ? "p" : "t");
	zt_jw_str(w, "cat", "zpci");
	zt_jw_f3(w, "ts", zt_us(e->ts_ns));
	event_args(w, e, note, realtime_off);
	zt_jw_close(w, '}');
	if (e->q_valid) {
		trace_event(w, "C", e->fid, EVENTS_TRACK, "queue depth");
		zt_jw_f3(w, "ts", zt_us(e->ts_ns));
		zt_jw_open(w, "args", '{');
		zt_jw_u64(w, "depth", e->q_count);
		zt_jw_close(w, '}');
		zt_jw_close(w, '}');
	}
}

/* what is still queued at the end waited until then */
static void pending_spans(struct zt_jw *w, const struct zt_corr *corr, uint64_t end_ns)
{
	for (size_t i = 0; i < corr->nfns; i++)
		for (int s = 0; s < ZT_QUEUE_DEPTH; s++)
			if (zt_fn_slot_pending(&corr->fns[i], s))
				wait_span(w, corr->fns[i].fid, (unsigned)s, corr->fns[i].slot[s].enqueue_ns, end_ns, "pending");
}

static void gap_marks(struct zt_jw *w, const struct zt_perfetto_ctx *ctx, uint64_t first_ns, uint64_t end_ns)
{
	const struct zt_capture_gaps *g = ctx->gaps;

	if (g && g->overwritten)
		global_mark(w, first_ns, "events overwritten before this dump", g->overwritten);
	for (int i = 0; ctx->losses && i < ZT_NR_LOSSES; i++) /* facts.h */
		if (ctx->losses->n[i]) {
			char name[96];

			snprintf(name, sizeof(name), "%s (when: unknown)", zt_loss_facts[i].label);
			global_mark(w, end_ns, name, ctx->losses->n[i]);
		}
	if (g && g->unwritten)
		global_mark(w, end_ns, "events the recorder could not write (when: unknown)", g->unwritten);
	if (g && g->skipped_lines)
		global_mark(w, end_ns, "damaged capture lines skipped", g->skipped_lines);
	if (g && g->cut)
		global_mark(w, end_ns, "capture cut short here", 0);
}

int zt_perfetto_write(FILE *out, const struct zt_event *events, size_t n, const struct zt_perfetto_ctx *ctx)
{
	uint64_t end_ns = ctx->end_ns;
	/* a function's tracks are named before its first event drawn: by its place in the correlator */
	bool *named = calloc(ctx->corr->nfns ? ctx->corr->nfns : 1, sizeof(*named));
	struct zt_jw w;

	if (!named)
		return -1;
	zt_jw_init(&w, out);
	zt_jw_open(&w, NULL, '{');
	zt_jw_str(&w, "displayTimeUnit", "ns");
	zt_jw_open(&w, "otherData", '{');
	zt_jw_str(&w, "generator", "zpcitrace");
	zt_jw_i64(&w, "realtime_offset_ns", ctx->realtime_off);
	zt_jw_close(&w, '}');
	zt_jw_open(&w, "traceEvents", '[');
	w.line_depth = w.depth; /* a line per trace event */
	for (size_t i = 0; i < n; i++) {
		const struct zt_event *e = &events[i];
		const struct zt_fn *f;

		if (e->ts_ns > end_ns)
			end_ns = e->ts_ns;
		if (!e->has_fn || !ctx->drawn[i])
			continue;
		f = zt_corr_fn((struct zt_corr *)ctx->corr, e->fid);
		if (f && !named[f - ctx->corr->fns]) {
			named[f - ctx->corr->fns] = true;
			name_tracks(&w, e);
		}
		event(&w, e, &ctx->notes[i], ctx->realtime_off);
	}
	pending_spans(&w, ctx->corr, end_ns);
	gap_marks(&w, ctx, n ? events[0].ts_ns : 0, end_ns);
	zt_jw_close(&w, ']');
	zt_jw_close(&w, '}');
	fputc('\n', out);
	free(named);
	return ferror(out) ? -1 : 0;
}
