// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
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

void zt_status_free(struct zt_status *st)
{
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
		if (e->q_valid && e->q_mr)
			zt_owner_text(owner_of(corr, e), "    owner: ", out);
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
