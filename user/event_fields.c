// SPDX-License-Identifier: GPL-2.0
/* An event's fields, named, in print order: what the live view's lines and the timeline's arguments show. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/vfio.h>
#include "ccdf.h"
#include "correlate.h"
#include "event.h"
#include "pec.h"
#include "sb.h"
#include "text.h"

/* hand a formatted value to the sink */
static void emit(zt_field_fn fn, void *ctx, const char *key, bool quote, struct sb *v)
{
	fn(ctx, &(struct zt_field){ .key = key, .value = v->buf, .quote = quote });
	v->pos = 0;
	v->buf[0] = 0;
}

/* a return code: its errno name in the text ("-ENOMSG"), the number and the name in JSON */
static void rc_field(zt_field_fn fn, void *ctx, const char *key, int ret)
{
	char text[32], num[16];
	const char *name = ret < 0 ? strerrorname_np(-ret) : NULL;

	snprintf(num, sizeof(num), "%d", ret);
	fn(ctx, &(struct zt_field){ .key = key, .value = zt_errname(ret, text, sizeof(text)), .quote = true, .json = num,
				    .name = name });
}

static void field_str(zt_field_fn fn, void *ctx, struct sb *v, const char *key, const char *s)
{
	sb_str(v, s);
	emit(fn, ctx, key, true, v);
}

static void field_u(zt_field_fn fn, void *ctx, struct sb *v, const char *key, uint64_t u)
{
	sb_u64(v, u);
	emit(fn, ctx, key, false, v);
}

static void field_hex(zt_field_fn fn, void *ctx, struct sb *v, const char *key, uint64_t x, int width)
{
	sb_put(v, "0x", 2);
	sb_hex(v, x, width);
	emit(fn, ctx, key, true, v);
}

/* a PEC: "0x0004/tprote" in the text, "0x0004" and its name apart in JSON */
static void pec_field(zt_field_fn fn, void *ctx, uint16_t pec)
{
	char label[64], code[16];

	snprintf(code, sizeof(code), "\"0x%04x\"", pec);
	fn(ctx, &(struct zt_field){ .key = "pec", .value = zt_pec_label(pec, label, sizeof(label)), .quote = true,
				    .json = code, .name = zt_pec_name(pec) });
}

/* the fields only one kind of event has */
static void kind_fields(const struct zt_event *e, zt_field_fn fn, void *ctx, struct sb *v)
{
	const char *state;

	switch (e->type) {
	case ZT_EV_FEATURE:
		if (zt_feature_kind(e) == ZT_FEATURE_OTHER)
			field_hex(fn, ctx, v, "flags", e->flags, 1);
		rc_field(fn, ctx, "rc", e->ret);
		if (!e->v12)
			break;
		field_str(fn, ctx, v, "uapi", "v12");
		if (e->ret == 0 && e->get_ret == -ENOMSG)
			field_u(fn, ctx, v, "empty", 1); /* v12's empty answer: rc 0, pec 0 */
		else if (!e->has_ccdf && e->v12_pec)
			pec_field(fn, ctx, e->v12_pec); /* answered, but the entry it took was not seen */
		break;
	case ZT_EV_ENQUEUE:
		field_str(fn, ctx, v, "result", zt_enqueue_result_name(e->result));
		break;
	case ZT_EV_NOTIFY:
		state = zt_channel_state_name(e->state);
		if (state) {
			field_str(fn, ctx, v, "state", state);
		} else {
			sb_u64(v, e->state);
			emit(fn, ctx, "state", true, v);
		}
		break;
	case ZT_EV_RESET:
		rc_field(fn, ctx, "rc", e->ret);
		break;
	case ZT_EV_CLOSE:
		field_u(fn, ctx, v, "discarded", e->discarded);
		break;
	}
}

/* the error the event carries, decoded */
static void ccdf_fields(const struct zt_event *e, zt_field_fn fn, void *ctx, struct sb *v)
{
	struct zt_ccdf c;

	zt_ccdf_decode(e->ccdf, &c);
	pec_field(fn, ctx, c.pec);
	if (e->type != ZT_EV_AVAIL)
		field_hex(fn, ctx, v, "faddr", c.faddr, 1);
	if (e->type == ZT_EV_ARRIVAL) {
		field_u(fn, ctx, v, "q", c.q);
		field_u(fn, ctx, v, "rw", c.rw);
		field_u(fn, ctx, v, "mvn", c.mvn);
	}
}

/* what the correlator matched: the wait in the queue, or that nothing matched */
static void match_fields(const struct zt_event *e, const struct zt_match *note, zt_field_fn fn, void *ctx,
			 struct sb *v)
{
	if (note && note->matched && note->at_start && !zt_dequeue_lost(e)) {
		/* queued before the start: it waited at least since then, how much longer nobody knows */
		field_u(fn, ctx, v, "queued_before_start", 1);
		sb_u64(v, note->latency_ns / 1000);
		emit(fn, ctx, "waited_us_min", false, v);
	} else if (note && note->matched && !zt_dequeue_lost(e)) {
		char frac[4] = { (char)('0' + note->latency_ns % 1000 / 100), (char)('0' + note->latency_ns % 100 / 10),
				 (char)('0' + note->latency_ns % 10), 0 };

		sb_u64(v, note->latency_ns / 1000);
		sb_put(v, ".", 1);
		sb_str(v, frac);
		emit(fn, ctx, "latency_us", false, v);
	}
	if (note && note->unmatched)
		field_u(fn, ctx, v, "unmatched", 1);
}

void zt_event_fields(const struct zt_event *e, const struct zt_match *note, zt_field_fn fn, void *ctx)
{
	char value[96] = "";
	struct sb v = { value, sizeof(value), 0 };

	if (e->has_fn) {
		field_hex(fn, ctx, &v, "fid", e->fid, 8);
		field_hex(fn, ctx, &v, "fh", e->fh, 8);
	}
	if (e->has_pci) {
		char pci[16];

		sb_put(&v, pci, zt_pci_name(true, e->pci_domain, e->pci_bus, e->pci_devfn, pci, sizeof(pci)));
		emit(fn, ctx, "pci", true, &v);
	}
	kind_fields(e, fn, ctx, &v);
	if (e->has_slot)
		field_u(fn, ctx, &v, "slot", e->slot);
	if (e->has_ccdf)
		ccdf_fields(e, fn, ctx, &v);
	if (e->type == ZT_EV_ENQUEUE)
		field_str(fn, ctx, &v, "via", e->derived ? "queue-state" : "store-hook");
	if (e->via_get)
		field_str(fn, ctx, &v, "via", "zpci_get_pending_error");
	if (e->type == ZT_EV_QUEUED)
		field_u(fn, ctx, &v, "before_start", 1);
	if (zt_dequeue_lost(e))
		field_u(fn, ctx, &v, "lost", 1);
	match_fields(e, note, fn, ctx, &v);
	if (e->q_valid) {
		field_u(fn, ctx, &v, "queue", e->q_count);
		field_u(fn, ctx, &v, "head", e->q_head);
		field_u(fn, ctx, &v, "tail", e->q_tail);
		field_u(fn, ctx, &v, "mr", e->q_mr);
	}
	field_u(fn, ctx, &v, "cpu", e->cpu);
	field_u(fn, ctx, &v, "pid", e->pid);
	sb_put(&v, e->comm, strnlen(e->comm, ZT_COMM_LEN));
	emit(fn, ctx, "comm", true, &v);
	/* the open's process, as /proc shows it: what an operator knows it by */
	if (e->type == ZT_EV_OPEN && note && note->owner && note->owner->pid) {
		fn(ctx, &(struct zt_field){ .key = "exe", .value = note->owner->exe, .quote = true });
		fn(ctx, &(struct zt_field){ .key = "domain", .value = note->owner->domain, .quote = true });
	}
}
