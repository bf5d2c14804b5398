// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include "ccdf.h"
#include "facts.h"
#include "jsonw.h"
#include "pec.h"
#include "status.h"
#include "text.h"

int zt_status_add(struct zt_status *st, const struct zt_event *e)
{
	if (e->type != ZT_EV_QUEUE && e->type != ZT_EV_QUEUED)
		return 0;
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		struct zt_event *ev = realloc(st->ev, cap * sizeof(*ev));

		if (!ev)
			return -ENOMEM;
		st->ev = ev;
		st->cap = cap;
	}
	st->ev[st->n++] = *e;
	return 0;
}

static int consumer_by_key(const char *key, size_t n)
{
	for (int k = 0; k < ZT_NR_CONSUMERS; k++)
		if (strlen(zt_consumer_facts[k].key) == n && !strncmp(zt_consumer_facts[k].key, key, n))
			return k;
	return -1;
}

/* zpcitrace_consumer_state{fid="0x…",state="…"} 1 */
static int consumer_line(struct zt_status *st, const char *l)
{
	static const char head[] = "zpcitrace_consumer_state{fid=\"";
	const char *state, *end;
	unsigned long fid;
	char *e;
	int k;

	if (strncmp(l, head, sizeof(head) - 1))
		return 0;
	fid = strtoul(l + sizeof(head) - 1, &e, 16);
	if (strncmp(e, "\",state=\"", 9))
		return 0;
	state = e + 9;
	end = strchr(state, '"');
	if (!end || strncmp(end, "\"} 1", 4) || (end[4] && end[4] != '\n') || (k = consumer_by_key(state, (size_t)(end - state))) < 0)
		return 0;
	struct zt_status_consumer *c = realloc(st->cons, (st->ncons + 1) * sizeof(*c));

	if (!c)
		return -ENOMEM;
	st->cons = c;
	st->cons[st->ncons++] = (struct zt_status_consumer){ (uint32_t)fid, k };
	return 0;
}

int zt_status_read_consumers(struct zt_status *st, const char *path, long long now)
{
	FILE *f = fopen(path, "re");
	struct stat sb;
	char line[512];
	int err = 0;

	if (!f) {
		snprintf(st->cons_why, sizeof(st->cons_why), "no exporter textfile %s (%s): zpcitrace-exporter judges it",
			 path, strerror(errno));
		return 0;
	}
	st->cons_age_s = !fstat(fileno(f), &sb) ? now - (long long)sb.st_mtime : -1;
	if (st->cons_age_s < 0 || st->cons_age_s > ZT_STATUS_EXPORTER_MAX_AGE_S) {
		snprintf(st->cons_why, sizeof(st->cons_why), "the exporter's textfile %s is %lld s old: is "
			 "zpcitrace-exporter running?", path, st->cons_age_s);
		fclose(f);
		return 0;
	}
	while (!err && fgets(line, sizeof(line), f))
		err = consumer_line(st, line);
	fclose(f);
	st->cons_read = !err;
	return err;
}

/* the exporter's judgement of fid's consumer, or -1 */
static int consumer_of(const struct zt_status *st, uint32_t fid)
{
	for (size_t i = 0; st->cons_read && i < st->ncons; i++)
		if (st->cons[i].fid == fid)
			return st->cons[i].state;
	return -1;
}

static void consumer_text(const struct zt_status *st, uint32_t fid, FILE *out)
{
	int k = consumer_of(st, fid);
	char why[ZT_TEXT_ESCAPED(320)];

	if (k >= 0) {
		fprintf(out, "    consumer: %s (as zpcitrace-exporter judged it, its textfile %lld s old)\n",
			zt_consumer_facts[k].label, st->cons_age_s);
		return;
	}
	zt_text_escape(st->cons_why, strlen(st->cons_why), why, sizeof(why));
	fprintf(out, "    consumer: not known (%s)\n", st->cons_read ? "the exporter has not judged it" : why);
}

void zt_status_free(struct zt_status *st)
{
	free(st->cons);
	free(st->ev);
	memset(st, 0, sizeof(*st));
}

/* what the summary's helpers take: the function of a queue event */
static void function_of(const struct zt_event *e, struct zt_fn *f)
{
	memset(f, 0, sizeof(*f));
	f->fid = e->fid;
	f->fh = e->fh;
	f->has_pci = e->has_pci;
	f->pci_domain = e->pci_domain;
	f->pci_bus = e->pci_bus;
	f->pci_devfn = e->pci_devfn;
}

static void identify(const struct zt_event *e, zt_ident_fn ident, char *pci, size_t len, struct zt_ident *id)
{
	struct zt_fn f;

	function_of(e, &f);
	zt_fn_pci_name(&f, pci, len);
	strcpy(id->uid, "-");
	strcpy(id->pchid, "-");
	if (ident && f.has_pci)
		ident(NULL, &f, id);
}

static size_t count_queued(const struct zt_status *st)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n; i++)
		n += st->ev[i].type == ZT_EV_QUEUED;
	return n;
}

/* the owner of a function open for vfio, as the tracer found it; NULL when none is known */
static const struct zt_owner *owner_of(struct zt_corr *corr, const struct zt_event *e)
{
	const struct zt_fn *f = corr && e->q_valid && e->q_mr ? zt_corr_fn(corr, e->fid) : NULL;

	return f && f->owner.pid ? &f->owner : NULL;
}

void zt_status_text(const struct zt_status *st, zt_ident_fn ident, struct zt_corr *corr, FILE *out)
{
	size_t fns = st->n - count_queued(st), npecs = 0;
	uint16_t pecs[64]; /* the distinct codes queued (at most 4 a function), for their legend */

	fprintf(out, "zPCI functions: %zu, errors queued: %zu\n", fns, count_queued(st));
	if (!fns)
		return;
	fprintf(out, "  %-10s %-10s %-12s %-8s %-8s %-8s %6s %4s %4s\n", "FID", "FH", "PCI", "UID", "PCHID", "MEDIATED",
		"QUEUED", "HEAD", "TAIL");
	for (size_t i = 0; i < st->n; i++) {
		const struct zt_event *e = &st->ev[i];
		struct zt_ident id;
		struct zt_ccdf c;
		char pci[32], pec[48];

		if (e->type == ZT_EV_QUEUED) {
			zt_ccdf_decode(e->ccdf, &c);
			zt_pec_label(c.pec, pec, sizeof(pec));
			fprintf(out, "    slot %u: pec=%s faddr=0x%llx\n", e->slot, pec, (unsigned long long)c.faddr);
			size_t k = 0;
			while (k < npecs && pecs[k] != c.pec)
				k++;
			if (k == npecs && npecs < sizeof(pecs) / sizeof(pecs[0]))
				pecs[npecs++] = c.pec;
			continue;
		}
		identify(e, ident, pci, sizeof(pci), &id);
		if (e->q_valid)
			fprintf(out, "  0x%08x 0x%08x %-12s %-8s %-8s %-8s %6u %4u %4u\n", e->fid, e->fh, pci, id.uid, id.pchid,
				e->q_mr ? "yes" : "no", e->q_count, e->q_head, e->q_tail);
		else
			fprintf(out, "  0x%08x 0x%08x %-12s %-8s %-8s %-8s %6s %4s %4s\n", e->fid, e->fh, pci, id.uid, id.pchid,
				"-", "-", "-", "-");
		if (e->q_valid && e->q_mr) {
			zt_owner_text(owner_of(corr, e), "    owner: ", out);
			consumer_text(st, e->fid, out);
		}
	}
	zt_pec_legend(out, pecs, npecs);
}

void zt_status_json(const struct zt_status *st, zt_ident_fn ident, struct zt_corr *corr, FILE *out)
{
	bool in_fn = false;
	struct zt_jw w;

	zt_jw_init(&w, out);
	zt_jw_open(&w, NULL, '{');
	zt_jw_str(&w, "event", "status");
	zt_jw_u64(&w, "schema", ZT_JSON_SCHEMA);
	zt_jw_open(&w, "functions", '[');
	for (size_t i = 0; i < st->n; i++) {
		const struct zt_event *e = &st->ev[i];
		struct zt_ident id;
		struct zt_ccdf c;
		char pci[32];

		if (e->type == ZT_EV_QUEUED) { /* an error in the queue of the function before it */
			zt_ccdf_decode(e->ccdf, &c);
			zt_jw_open(&w, NULL, '{');
			zt_jw_u64(&w, "slot", e->slot);
			zt_jw_pec(&w, c.pec);
			zt_jw_hex(&w, "faddr", c.faddr, 1);
			zt_jw_close(&w, '}');
			continue;
		}
		if (in_fn) {
			zt_jw_close(&w, ']');
			zt_jw_close(&w, '}');
		}
		identify(e, ident, pci, sizeof(pci), &id);
		zt_jw_open(&w, NULL, '{');
		zt_jw_hex(&w, "fid", e->fid, 8);
		zt_jw_hex(&w, "fh", e->fh, 8);
		zt_jw_str(&w, "pci", pci);
		zt_jw_str(&w, "uid", id.uid);
		zt_jw_str(&w, "pchid", id.pchid);
		if (e->q_valid) {
			zt_jw_bool(&w, "mediated_recovery", e->q_mr);
			zt_jw_u64(&w, "count", e->q_count);
			zt_jw_u64(&w, "head", e->q_head);
			zt_jw_u64(&w, "tail", e->q_tail);
		}
		zt_jw_owner(&w, owner_of(corr, e));
		if (consumer_of(st, e->fid) >= 0)
			zt_jw_str(&w, "consumer", zt_consumer_facts[consumer_of(st, e->fid)].key);
		else
			zt_jw_raw(&w, "consumer", "null");
		zt_jw_open(&w, "queued", '[');
		in_fn = true;
	}
	if (in_fn) {
		zt_jw_close(&w, ']');
		zt_jw_close(&w, '}');
	}
	zt_jw_close(&w, ']');
	zt_jw_close(&w, '}');
	fputc('\n', out);
}
