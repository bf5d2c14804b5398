// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pec.h"
#include "jsonw.h"
#include "summary.h"
#include "text.h"

/* "   nsecs : count distribution" bars, as libbpf-tools' print_log2_hist */
static void print_log2_hist(const struct zt_hist *h, const char *unit, FILE *out)
{
	int last = -1, first = -1;
	uint64_t max = 0;

	for (int i = 0; i < ZT_HIST_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (h->slots[i] > max)
			max = h->slots[i];
	}
	if (last < 0)
		return;
	fprintf(out, "%*s%-16s : count    distribution\n", 10, "", unit);
	for (int i = first; i <= last; i++) {
		unsigned long long low = i ? 1ull << i : 0, high = (2ull << i) - 1;
		int stars = (int)(h->slots[i] * 40 / max);

		fprintf(out, "%20llu -> %-20llu : %-8llu |%-40.*s|\n", low, high, (unsigned long long)h->slots[i], stars,
			"****************************************");
	}
}

static void latency_row(FILE *out, const char *label, struct zt_hist *h)
{
	fprintf(out, "  %-16s %7llu %12.3f %12.3f %12.3f %12.3f\n", label, (unsigned long long)h->count,
		zt_us(zt_hist_quantile(h, 0.5)), zt_us(zt_hist_quantile(h, 0.9)), zt_us(zt_hist_quantile(h, 0.99)),
		zt_us(h->max_ns));
}

static void latency_header(FILE *out, const char *what, const char *key)
{
	fprintf(out, "%s (usecs):\n  %-16s %7s %12s %12s %12s %12s\n", what, key, "COUNT", "P50", "P90", "P99", "MAX");
}

static int column(int book)
{
	int w = (int)strlen(zt_book_facts[book].label);

	return w < 5 ? 5 : w;
}

/* every error of each function in exactly one bucket; a row that does not add up says so */
static void books_text(const struct zt_corr *c, FILE *out)
{
	/* a column at least 5 wide: the numbers fit under short headers (LOST) */
	fprintf(out, "books (arrived + queued before the start = the buckets):\n  %-10s", "FID");
	for (int k = 0; k < ZT_NR_BOOKS; k++)
		fprintf(out, " %*s", column(k), zt_book_facts[k].label);
	fprintf(out, " %s\n", "BALANCED");
	for (size_t i = 0; i < c->nfns; i++) {
		struct zt_books b;

		zt_fn_books(&c->fns[i], &b);
		fprintf(out, "  0x%08x", c->fns[i].fid);
		for (int k = 0; k < ZT_NR_BOOKS; k++)
			fprintf(out, " %*llu", column(k), (unsigned long long)b.n[k]);
		fprintf(out, " %s\n", b.balanced ? "yes" : "NO");
	}
}

static void gaps_text(const struct zt_capture_gaps *g, FILE *out)
{
	fprintf(out, "capture: %s\n",
		g->count_mismatch	    ? "DAMAGED: its trailer's count disagrees with its lines"
		: zt_capture_gaps_damaged(g) ? "DAMAGED: events are missing"
		: g->live		    ? "still being recorded (complete so far)"
		: g->overwritten	    ? "a flight-recorder dump: its ring had overwritten older events"
		: g->earlier		    ? "a flight-recorder dump: older events are in earlier dumps"
					    : "complete");
	fprintf(out, "  %-36s %s\n", "trailer",
		!g->cut	   ? "yes"
		: g->live ? "not yet (a recorder still writes it)"
			  : "missing (the recording was killed or the disk filled)");
	if (g->trailer_events_known)
		fprintf(out, "  %-36s %llu (%llu read)\n", "events the trailer counts",
			(unsigned long long)g->trailer_events, (unsigned long long)g->event_lines);
	if (g->shrank)
		fprintf(out, "  %-36s %s\n", "changed while read", "yes: it was cut short meanwhile");
	if (g->captures > 1)
		fprintf(out, "  %-36s %llu\n", "captures of the run read as one", (unsigned long long)g->captures);
	if (g->missing_files)
		fprintf(out, "  %-36s %llu (their events are missing)\n", "files of the run not read",
			(unsigned long long)g->missing_files);
	if (g->earlier)
		fprintf(out, "  %-36s %llu\n", "events in an earlier dump", (unsigned long long)g->earlier);
	fprintf(out, "  %-36s %llu\n", "events overwritten (flight recorder)", (unsigned long long)g->overwritten);
	fprintf(out, "  %-36s %llu\n", "events the recorder could not write", (unsigned long long)g->unwritten);
	fprintf(out, "  %-36s %llu\n", "damaged lines skipped", (unsigned long long)g->skipped_lines);
	if (g->skipped_lines)
		fprintf(out, "  %-36s line %llu: %s\n", "first damaged line", (unsigned long long)g->first_skipped_line,
			g->first_skipped_why);
	fprintf(out, "  %-36s %llu\n", "bytes of a partial last line", (unsigned long long)g->cut_bytes);
	fprintf(out, "  %-36s %llu\n", "events of kinds not known here", (unsigned long long)g->skipped_unknown);
	if (g->functions_omitted)
		fprintf(out, "  %-36s %llu\n", "functions the trailer did not name", (unsigned long long)g->functions_omitted);
}

static void gaps_json(const struct zt_capture_gaps *g, struct zt_jw *w)
{
	zt_jw_open(w, "capture", '{');
	zt_jw_bool(w, "damaged", zt_capture_gaps_damaged(g));
	zt_jw_bool(w, "trailer", !g->cut);
	zt_jw_u64(w, "overwritten", g->overwritten);
	zt_jw_u64(w, "unwritten", g->unwritten);
	zt_jw_u64(w, "skipped_lines", g->skipped_lines);
	zt_jw_u64(w, "first_skipped_line", g->first_skipped_line);
	zt_jw_str(w, "first_skipped_why", g->first_skipped_why);
	zt_jw_u64(w, "cut_bytes", g->cut_bytes);
	zt_jw_u64(w, "unknown_kinds", g->skipped_unknown);
	zt_jw_u64(w, "functions_omitted", g->functions_omitted);
	zt_jw_bool(w, "still_recording", g->live);
	zt_jw_bool(w, "shrank_while_read", g->shrank);
	zt_jw_bool(w, "count_mismatch", g->count_mismatch);
	zt_jw_u64(w, "event_lines", g->event_lines);
	if (g->trailer_events_known)
		zt_jw_u64(w, "trailer_events", g->trailer_events);
	zt_jw_u64(w, "earlier", g->earlier);
	zt_jw_u64(w, "held_back", g->held_back);
	zt_jw_u64(w, "captures", g->captures ? g->captures : 1);
	zt_jw_u64(w, "missing_files", g->missing_files);
	zt_jw_close(w, '}');
}

/* the per-function table, the books, and the functions nobody reads */
/* who opened each function's device, and what it does after a notification (facts.h, ZT_CONSUMERS) */
static void consumers_text(const struct zt_snapshot *s, FILE *out)
{
	struct zt_corr *c = s->corr;

	fprintf(out, "owners and consumers (after each notification, since the device was opened):\n");
	for (size_t i = 0; i < c->nfns; i++) {
		const struct zt_fn *f = &c->fns[i];
		enum zt_consumer k = zt_fn_consumer(f, s->now_ns);

		fprintf(out, "  0x%08x %s: %llu notified, %llu answered by a read that found the queue empty, %llu reads\n",
			f->fid, zt_consumer_facts[k].label, (unsigned long long)f->cons_notified,
			(unsigned long long)f->cons_drained, (unsigned long long)f->cons_reads);
		zt_owner_text(f->owner.pid ? &f->owner : NULL, "             owner: ", out);
	}
}

static void functions_text(const struct zt_snapshot *s, FILE *out)
{
	struct zt_corr *c = s->corr;

	if (!c->nfns)
		return;
	fprintf(out, "functions:\n  %-10s %-12s %-8s %-8s %7s %6s %7s %9s %5s %8s %9s %8s %9s %7s %10s %s\n", "FID",
		"PCI", "UID", "PCHID", "ARRIVED", "STORED", "DROPPED", "DISCARDED", "LOST", "DEQUEUED", "UNMATCHED",
		"MAXDEPTH", "FULL_MS", "PENDING", "OLDEST_MS", "CONSUMER");
	for (size_t i = 0; i < c->nfns; i++) {
		const struct zt_fn *f = &c->fns[i];
		struct zt_ident id;
		char pci[32];

		zt_fn_pci_name(f, pci, sizeof(pci));
		zt_snapshot_ident(s, f, &id);
		fprintf(out, "  0x%08x %-12s %-8s %-8s %7llu %6llu %7llu %9llu %5llu %8llu %9llu %8u %9.3f %7d %10.3f %s\n",
			f->fid, pci, id.uid, id.pchid, (unsigned long long)f->n[ZT_C_ARRIVED],
			(unsigned long long)f->n[ZT_C_STORED], (unsigned long long)f->n[ZT_C_DROPPED_FULL],
			(unsigned long long)f->n[ZT_C_DISCARDED], (unsigned long long)f->n[ZT_C_LOST_EFAULT],
			(unsigned long long)f->n[ZT_C_DEQUEUED], (unsigned long long)f->unmatched, f->max_depth,
			zt_fn_full_ns(f, s->now_ns) / 1e6, zt_fn_pending(f),
			zt_fn_oldest_pending_ns(f, s->now_ns) / 1e6, zt_fn_no_consumer(f) ? "NONE" : f->consumer_seen ? "yes" : "-");
	}
	books_text(c, out);
	for (size_t i = 0; i < c->nfns; i++)
		if (zt_fn_no_consumer(&c->fns[i]))
			fprintf(out, "  function 0x%08x: errors were queued and no process ever asked for them "
				     "(no consumer)\n", c->fns[i].fid);
	consumers_text(s, out);
}

/* the latency quantiles by PEC and by function */
static void latencies_text(struct zt_corr *c, FILE *out)
{
	char label[64];

	if (c->npecs) {
		latency_header(out, "enqueue -> dequeue latency by PEC", "PEC");
		for (size_t i = 0; i < c->npecs; i++) {
			zt_pec_label(c->pecs[i].pec, label, sizeof(label));
			latency_row(out, label, &c->pecs[i].enq_deq);
		}
	}
	if (c->nfns) {
		latency_header(out, "enqueue -> dequeue latency by function", "FID");
		for (size_t i = 0; i < c->nfns; i++) {
			snprintf(label, sizeof(label), "0x%08x", c->fns[i].fid);
			latency_row(out, label, &c->fns[i].enq_deq);
		}
		latency_header(out, "arrival -> notify latency by function", "FID");
		for (size_t i = 0; i < c->nfns; i++) {
			snprintf(label, sizeof(label), "0x%08x", c->fns[i].fid);
			latency_row(out, label, &c->fns[i].arr_notify);
		}
		latency_header(out, "dequeue -> reset latency by function", "FID");
		for (size_t i = 0; i < c->nfns; i++) {
			snprintf(label, sizeof(label), "0x%08x", c->fns[i].fid);
			latency_row(out, label, &c->fns[i].deq_reset);
		}
	}
}

/* what each PEC seen means, after the tables that name them */
static void pec_legend(const struct zt_corr *c, FILE *out)
{
	uint16_t *codes = malloc(c->npecs * sizeof(*codes) + 1);

	if (!codes)
		return;
	for (size_t i = 0; i < c->npecs; i++)
		codes[i] = c->pecs[i].pec;
	zt_pec_legend(out, codes, c->npecs);
	free(codes);
}

void zt_summary_text(const struct zt_snapshot *s, FILE *out)
{
	struct zt_corr *c = s->corr;
	char label[64];

	fprintf(out, "zpcitrace: summary\n");
	for (int i = 0; i < ZT_NR_COUNTERS; i++)
		fprintf(out, "  %-36s %llu\n", zt_counter_facts[i].label, (unsigned long long)c->total[i]);
	for (int i = 0; i < ZT_NR_RUN_FIGURES; i++)
		fprintf(out, "  %-36s %llu\n", zt_figure_facts[i].label, (unsigned long long)zt_corr_figure(c, i));
	for (int i = 0; i < ZT_NR_LOSSES; i++)
		fprintf(out, "  %-36s %llu\n", zt_loss_facts[i].label, (unsigned long long)s->losses.n[i]);
	if (s->gaps)
		gaps_text(s->gaps, out);
	functions_text(s, out);
	latencies_text(c, out);
	if (s->histograms)
		for (size_t i = 0; i < c->npecs; i++) {
			if (!c->pecs[i].enq_deq.count)
				continue;
			zt_pec_label(c->pecs[i].pec, label, sizeof(label));
			fprintf(out, "enqueue -> dequeue latency, PEC %s:\n", label);
			print_log2_hist(&c->pecs[i].enq_deq, "nsecs", out);
		}
	pec_legend(c, out);
	if (s->run)
		zt_print_hooks(s->run->hooks, s->run->nhooks, "  ", out);
	if (s->run && s->run->derived)
		fprintf(out, "  enqueue outcomes derived from the queue state around each arrival (no zpci_store_pci_error hook)\n");
	if (s->run)
		fprintf(out, "  uapi %s: %s\n", zt_uapi_name(s->run->uapi), zt_uapi_what(s->run->uapi));
}

void zt_print_hooks(const struct zt_hook_state *hooks, int n, const char *prefix, FILE *out)
{
	for (int i = 0; i < n; i++) {
		const struct zt_hook_state *h = &hooks[i];
		char func[ZT_TEXT_ESCAPED(40)], mode[ZT_TEXT_ESCAPED(16)], module[ZT_TEXT_ESCAPED(64)];

		/* the kernel's names (a module's), or a capture's (escaped when read: escaping again changes nothing) */
		zt_text_escape(h->func, strlen(h->func), func, sizeof(func));
		zt_text_escape(h->mode, strlen(h->mode), mode, sizeof(mode));
		fprintf(out, "%shook %-31s %-8s %s%s%s%s\n", prefix, func, h->role, mode, h->module ? " [" : "",
			h->module ? zt_text_escape(h->module, strlen(h->module), module, sizeof(module)) : "",
			h->module ? "]" : "");
	}
}

static void json_hist(struct zt_jw *w, const char *key, struct zt_hist *h)
{
	zt_jw_open(w, key, '{');
	zt_jw_u64(w, "count", h->count);
	zt_jw_f3(w, "p50_us", zt_us(zt_hist_quantile(h, 0.5)));
	zt_jw_f3(w, "p90_us", zt_us(zt_hist_quantile(h, 0.9)));
	zt_jw_f3(w, "p99_us", zt_us(zt_hist_quantile(h, 0.99)));
	zt_jw_f3(w, "max_us", zt_us(h->max_ns));
	zt_jw_close(w, '}');
}

static void json_books(struct zt_jw *w, const struct zt_fn *f)
{
	struct zt_books b;

	zt_fn_books(f, &b);
	zt_jw_open(w, "books", '{');
	for (int k = 0; k < ZT_NR_BOOKS; k++)
		zt_jw_u64(w, zt_book_facts[k].key, b.n[k]);
	zt_jw_bool(w, "balanced", b.balanced);
	zt_jw_close(w, '}');
}

static void json_function(const struct zt_snapshot *s, struct zt_fn *f, struct zt_jw *w)
{
	struct zt_ident id;
	char pci[32];

	zt_fn_pci_name(f, pci, sizeof(pci));
	zt_snapshot_ident(s, f, &id);
	zt_jw_open(w, NULL, '{');
	zt_jw_hex(w, "fid", f->fid, 8);
	zt_jw_str(w, "pci", pci);
	zt_jw_str(w, "uid", id.uid);
	zt_jw_str(w, "pchid", id.pchid);
	zt_jw_open(w, "counters", '{');
	for (int k = 0; k < ZT_NR_COUNTERS; k++)
		zt_jw_u64(w, zt_counter_facts[k].key, f->n[k]);
	zt_jw_close(w, '}');
	zt_jw_u64(w, "unmatched", f->unmatched);
	zt_jw_u64(w, "max_depth", f->max_depth);
	zt_jw_f3(w, "full_ms", zt_fn_full_ns(f, s->now_ns) / 1e6);
	zt_jw_i64(w, "pending", zt_fn_pending(f));
	zt_jw_f3(w, "oldest_pending_ms", zt_fn_oldest_pending_ns(f, s->now_ns) / 1e6);
	zt_jw_bool(w, "consumer_seen", f->consumer_seen);
	zt_jw_bool(w, "no_consumer", zt_fn_no_consumer(f));
	zt_jw_str(w, "consumer", zt_consumer_facts[zt_fn_consumer(f, s->now_ns)].key);
	zt_jw_owner(w, f->owner.pid ? &f->owner : NULL);
	json_books(w, f);
	json_hist(w, "enqueue_dequeue", &f->enq_deq);
	json_hist(w, "arrival_notify", &f->arr_notify);
	json_hist(w, "dequeue_reset", &f->deq_reset);
	zt_jw_close(w, '}');
}

void zt_summary_json(const struct zt_snapshot *s, FILE *out)
{
	struct zt_corr *c = s->corr;
	struct zt_jw w;

	zt_jw_init(&w, out);
	zt_jw_open(&w, NULL, '{');
	zt_jw_str(&w, "event", "summary");
	zt_jw_u64(&w, "schema", ZT_JSON_SCHEMA);
	zt_jw_open(&w, "counters", '{');
	for (int i = 0; i < ZT_NR_COUNTERS; i++)
		zt_jw_u64(&w, zt_counter_facts[i].key, c->total[i]);
	for (int i = 0; i < ZT_NR_RUN_FIGURES; i++)
		zt_jw_u64(&w, zt_figure_facts[i].key, zt_corr_figure(c, i));
	for (int i = 0; i < ZT_NR_LOSSES; i++)
		zt_jw_u64(&w, zt_loss_facts[i].key, s->losses.n[i]);
	zt_jw_close(&w, '}');
	if (s->gaps)
		gaps_json(s->gaps, &w);
	zt_jw_open(&w, "functions", '[');
	for (size_t i = 0; i < c->nfns; i++)
		json_function(s, &c->fns[i], &w);
	zt_jw_close(&w, ']');
	zt_jw_open(&w, "pecs", '[');
	for (size_t i = 0; i < c->npecs; i++) {
		zt_jw_open(&w, NULL, '{');
		zt_jw_pec(&w, c->pecs[i].pec);
		zt_jw_u64(&w, "arrived", c->pecs[i].arrived);
		json_hist(&w, "enqueue_dequeue", &c->pecs[i].enq_deq);
		zt_jw_close(&w, '}');
	}
	zt_jw_close(&w, ']');
	zt_jw_open(&w, "hooks", '{');
	for (int i = 0; s->run && i < s->run->nhooks; i++)
		zt_jw_str(&w, s->run->hooks[i].func, s->run->hooks[i].mode);
	zt_jw_close(&w, '}');
	zt_jw_bool(&w, "enqueue_derived", s->run && s->run->derived);
	zt_jw_str(&w, "uapi", zt_uapi_name(s->run ? s->run->uapi : ZT_UAPI_UNKNOWN));
	zt_jw_close(&w, '}');
	fputc('\n', out);
}

int zt_summary_end(const struct zt_snapshot *snap, bool json)
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

void zt_start_json(const struct zt_run *r, FILE *out)
{
	struct zt_jw w;

	zt_jw_init(&w, out);
	zt_jw_open(&w, NULL, '{');
	zt_jw_str(&w, "event", "start");
	zt_jw_u64(&w, "schema", ZT_JSON_SCHEMA);
	zt_jw_str(&w, "zpcitrace", r->zpcitrace);
	zt_jw_str(&w, "hostname", r->hostname);
	zt_jw_str(&w, "kernel", r->kernel);
	zt_jw_str(&w, "machine", r->machine);
	zt_jw_str(&w, "clock", "CLOCK_MONOTONIC");
	zt_jw_i64(&w, "realtime_offset_ns", r->realtime_off);
	zt_jw_str(&w, "uapi", zt_uapi_name(r->uapi));
	zt_jw_close(&w, '}');
	fputc('\n', out);
}
