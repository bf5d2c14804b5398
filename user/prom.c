// SPDX-License-Identifier: GPL-2.0
/* Metric names follow Prometheus conventions: zpcitrace_ prefix, _total for counters, base units
 * (_seconds), labels bounded: fid and pec on series, the PCI address and ids only on an info metric. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "atomic.h"
#include "prom.h"
#include "text.h"

/* label values: the exposition format's escapes (backslash, double quote, newline); UTF-8, which the format
 * requires, as it is, and a byte that is not UTF-8 as U+FFFD (the UTF-8 decoder of text.h) */
static void label(FILE *out, const char *v)
{
	size_t n = strlen(v);

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = zt_utf8_decode((const unsigned char *)v + i, n - i, &cp);

		if (!k) {
			fputs("\xef\xbf\xbd", out);
			i++;
			continue;
		}
		if (cp == '\\' || cp == '"')
			fputc('\\', out);
		if (cp == '\n')
			fputs("\\n", out);
		else
			fwrite(v + i, 1, k, out);
		i += k;
	}
}

static void head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void pec_value(const struct zt_fn_pec *p, char *buf, size_t len)
{
	if (p->pec_known)
		snprintf(buf, len, "0x%04x", p->pec);
	else
		snprintf(buf, len, "unknown");
}

static void fn_metric(FILE *out, const struct zt_snapshot *s, const char *name, const char *type, const char *help,
		      double (*value)(const struct zt_snapshot *, const struct zt_fn *))
{
	head(out, name, type, help);
	for (size_t i = 0; i < s->corr->nfns; i++)
		fprintf(out, "%s{fid=\"0x%08x\"} %.15g\n", name, s->corr->fns[i].fid, value(s, &s->corr->fns[i]));
}

static double depth_max(const struct zt_snapshot *s, const struct zt_fn *f)
{
	(void)s;
	return f->max_depth;
}

static double pending(const struct zt_snapshot *s, const struct zt_fn *f)
{
	(void)s;
	return zt_fn_pending(f);
}

static double no_consumer(const struct zt_snapshot *s, const struct zt_fn *f)
{
	(void)s;
	return zt_fn_no_consumer(f);
}

static double unseen(const struct zt_snapshot *s, const struct zt_fn *f)
{
	(void)s;
	return (double)zt_fn_unseen(f);
}

static double not_queued(const struct zt_snapshot *s, const struct zt_fn *f)
{
	struct zt_books b;

	(void)s;
	zt_fn_books(f, &b);
	return (double)b.not_queued;
}

static double balanced(const struct zt_snapshot *s, const struct zt_fn *f)
{
	struct zt_books b;

	(void)s;
	zt_fn_books(f, &b);
	return b.balanced;
}

static double last_error(const struct zt_snapshot *s, const struct zt_fn *f)
{
	return f->last_error_ns ? ((double)f->last_error_ns + (double)(s->run ? s->run->realtime_off : 0)) / 1e9 : 0;
}

static double oldest_pending(const struct zt_snapshot *s, const struct zt_fn *f)
{
	uint64_t at = zt_fn_oldest_pending_at(f);

	return at ? ((double)at + (double)(s->run ? s->run->realtime_off : 0)) / 1e9 : 0;
}

/* what the run is: the version, how each function is hooked, which functions it saw */
static void info_metrics(const struct zt_snapshot *s, FILE *out)
{
	struct zt_corr *c = s->corr;

	head(out, "zpcitrace_build_info", "gauge", "zpcitrace's version.");
	fprintf(out, "zpcitrace_build_info{version=\"");
	label(out, s->run && s->run->zpcitrace[0] ? s->run->zpcitrace : "unknown");
	fprintf(out, "\"} 1\n");
	head(out, "zpcitrace_hook_info", "gauge",
	     "How each kernel function is hooked: fentry, kprobe, absent, pending (module not loaded), off, failed.");
	for (int i = 0; s->run && i < s->run->nhooks; i++)
		fprintf(out, "zpcitrace_hook_info{function=\"%s\",mode=\"%s\"} 1\n", s->run->hooks[i].func,
			s->run->hooks[i].mode);
	head(out, "zpcitrace_uapi_info", "gauge",
	     "The form of VFIO_DEVICE_FEATURE_ZPCI_ERROR the kernel has: merged (feature 13), v12 (feature 12), unknown.");
	fprintf(out, "zpcitrace_uapi_info{form=\"%s\"} 1\n", zt_uapi_name(s->run ? s->run->uapi : ZT_UAPI_UNKNOWN));
	head(out, "zpcitrace_function_info", "gauge", "Identity of each zPCI function seen: PCI address, uid, pchid.");
	for (size_t i = 0; i < c->nfns; i++) {
		struct zt_ident id;
		char pci[32];

		zt_fn_pci_name(&c->fns[i], pci, sizeof(pci));
		zt_snapshot_ident(s, &c->fns[i], &id);
		fprintf(out, "zpcitrace_function_info{fid=\"0x%08x\",pci=\"%s\",uid=\"", c->fns[i].fid, pci);
		label(out, id.uid);
		fprintf(out, "\",pchid=\"");
		label(out, id.pchid);
		fprintf(out, "\"} 1\n");
	}
}

/* who owns each function's device, and what its consumer does (facts.h, ZT_CONSUMERS): one series per function
 * and owner (a new owner replaces the old series), one per function and state */
static void owner_metrics(const struct zt_snapshot *s, FILE *out)
{
	struct zt_corr *c = s->corr;

	head(out, "zpcitrace_function_owner_info", "gauge",
	     "The process that opened the function's vfio device: its comm, executable and libvirt domain.");
	for (size_t i = 0; i < c->nfns; i++) {
		const struct zt_owner *o = &c->fns[i].owner;

		if (!o->pid)
			continue;
		fprintf(out, "zpcitrace_function_owner_info{fid=\"0x%08x\",comm=\"", c->fns[i].fid);
		label(out, o->comm);
		fprintf(out, "\",exe=\"");
		label(out, o->exe);
		fprintf(out, "\",domain=\"");
		label(out, o->domain);
		fprintf(out, "\"} 1\n");
	}
	head(out, "zpcitrace_function_owner_pid", "gauge", "The pid of the process that opened the function's vfio device.");
	for (size_t i = 0; i < c->nfns; i++)
		if (c->fns[i].owner.pid)
			fprintf(out, "zpcitrace_function_owner_pid{fid=\"0x%08x\"} %d\n", c->fns[i].fid, c->fns[i].owner.pid);
	head(out, "zpcitrace_consumer_state", "gauge",
	     "1 for what the function's consumer does after each notification (docs/facts.md, Consumers), 0 otherwise.");
	for (size_t i = 0; i < c->nfns; i++) {
		enum zt_consumer now = zt_fn_consumer(&c->fns[i], s->now_ns);

		for (int k = 0; k < ZT_NR_CONSUMERS; k++)
			fprintf(out, "zpcitrace_consumer_state{fid=\"0x%08x\",state=\"%s\"} %d\n", c->fns[i].fid,
				zt_consumer_facts[k].key, k == (int)now);
	}
}

/* the counters with a metric (facts.h), per function, and per PEC where the error's PEC is known */
static void counter_metrics(const struct zt_snapshot *s, FILE *out)
{
	struct zt_corr *c = s->corr;

	for (int m = 0; m < ZT_NR_COUNTERS; m++) {
		const struct zt_fact *cm = &zt_counter_facts[m];

		if (!cm->metric)
			continue;
		head(out, cm->metric, "counter", cm->help);
		for (size_t i = 0; i < c->nfns; i++) {
			const struct zt_fn *f = &c->fns[i];

			if (!cm->per_pec) {
				fprintf(out, "%s{fid=\"0x%08x\"} %llu\n", cm->metric, f->fid, (unsigned long long)f->n[m]);
				continue;
			}
			for (size_t k = 0; k < f->npec; k++) {
				char pec[16];

				pec_value(&f->by_pec[k], pec, sizeof(pec));
				fprintf(out, "%s{fid=\"0x%08x\",pec=\"%s\"} %llu\n", cm->metric, f->fid, pec,
					(unsigned long long)f->by_pec[k].n[m]);
			}
		}
	}
}

/* the queue wait per PEC, in the fixed buckets of zt_bounds_s */
static void wait_histograms(const struct zt_corr *c, FILE *out)
{
	head(out, "zpcitrace_queue_wait_seconds", "histogram", "Time errors waited in the queue, enqueue to dequeue.");
	for (size_t i = 0; i < c->npecs; i++) {
		const struct zt_hist *h = &c->pecs[i].enq_deq;
		uint64_t cum = 0;

		for (int b = 0; b < ZT_NR_BOUNDS; b++) {
			cum += h->bounded[b];
			fprintf(out, "zpcitrace_queue_wait_seconds_bucket{pec=\"0x%04x\",le=\"%g\"} %llu\n", c->pecs[i].pec,
				zt_bounds_s[b], (unsigned long long)cum);
		}
		fprintf(out, "zpcitrace_queue_wait_seconds_bucket{pec=\"0x%04x\",le=\"+Inf\"} %llu\n", c->pecs[i].pec,
			(unsigned long long)h->count);
		fprintf(out, "zpcitrace_queue_wait_seconds_sum{pec=\"0x%04x\"} %.9f\n", c->pecs[i].pec, h->sum_ns / 1e9);
		fprintf(out, "zpcitrace_queue_wait_seconds_count{pec=\"0x%04x\"} %llu\n", c->pecs[i].pec,
			(unsigned long long)h->count);
	}
}

void zt_prom_render(const struct zt_snapshot *s, FILE *out)
{
	struct zt_corr *c = s->corr;

	info_metrics(s, out);
	owner_metrics(s, out);
	counter_metrics(s, out);
	head(out, "zpcitrace_dequeues_unmatched_total", "counter",
	     "Dequeues of errors whose enqueue zpcitrace did not see, nor found queued at its start.");
	for (size_t i = 0; i < c->nfns; i++)
		fprintf(out, "zpcitrace_dequeues_unmatched_total{fid=\"0x%08x\"} %llu\n", c->fns[i].fid,
			(unsigned long long)c->fns[i].unmatched);
	head(out, "zpcitrace_queue_full_seconds_total", "counter", "Time the function's error queue spent full.");
	for (size_t i = 0; i < c->nfns; i++)
		fprintf(out, "zpcitrace_queue_full_seconds_total{fid=\"0x%08x\"} %.9f\n", c->fns[i].fid,
			zt_fn_full_ns(&c->fns[i], s->now_ns) / 1e9);
	fn_metric(out, s, "zpcitrace_errors_unseen_total", "counter",
		  "Errors that left the queue by a dequeue zpcitrace did not trace (the queue counters show it).", unseen);
	fn_metric(out, s, "zpcitrace_errors_not_queued_total", "counter",
		  "Errors the kernel never offered the queue (FMB events, functions without a driver).", not_queued);
	fn_metric(out, s, "zpcitrace_books_balanced", "gauge",
		  "1 when every error of the function is in exactly one bucket (arrived + queued at start = outcomes).",
		  balanced);
	fn_metric(out, s, "zpcitrace_queue_depth_max", "gauge", "The deepest the function's error queue has been.",
		  depth_max);
	fn_metric(out, s, "zpcitrace_queue_pending", "gauge", "Errors in the function's queue now.", pending);
	fn_metric(out, s, "zpcitrace_no_consumer", "gauge",
		  "1 when errors were queued for the function and no process ever asked for them.", no_consumer);
	fn_metric(out, s, "zpcitrace_last_error_timestamp_seconds", "gauge",
		  "Unix time of the function's newest error (0: none).", last_error);
	fn_metric(out, s, "zpcitrace_queue_oldest_pending_timestamp_seconds", "gauge",
		  "Unix time the oldest error still queued was stored (0: none queued).", oldest_pending);
	wait_histograms(c, out);
	for (int i = 0; i < ZT_NR_LOSSES; i++) {
		head(out, zt_loss_facts[i].metric, "counter", zt_loss_facts[i].help);
		fprintf(out, "%s %llu\n", zt_loss_facts[i].metric, (unsigned long long)s->losses.n[i]);
	}
}

int zt_prom_write(const struct zt_snapshot *s, const char *path, char *why, size_t whylen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct zt_out out;
	int err;

	if (!f)
		return -ENOMEM;
	zt_prom_render(s, f);
	if (fclose(f)) {
		free(text);
		return -ENOMEM;
	}
	/* the output rule (atomic.h): "-" is stdout, where each export follows the last */
	err = zt_out_open(&out, path, NULL, why, whylen);
	if (err) {
		free(text);
		return err;
	}
	/* its mode is the umask's, as every output's: node_exporter reads it as another user, so the exporter's unit
	 * has UMask=0022 (0644), and an operator's umask decides elsewhere */
	err = zt_write_all(out.fd, text, len);
	free(text);
	err = zt_out_commit(&out, err);
	if (err)
		snprintf(why, whylen, "cannot write %s: %s", path, strerror(-err));
	return err;
}
