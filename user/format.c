// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/vfio.h>
#include "ccdf.h"
#include "correlate.h"
#include "format.h"
#include "pec.h"

#define FEATURE_MASK 0xffffu

enum zt_feature_kind zt_feature_kind(const struct zt_event *e)
{
	if (e->flags & VFIO_DEVICE_FEATURE_PROBE)
		return ZT_FEATURE_PROBE;
	if (e->flags & VFIO_DEVICE_FEATURE_GET)
		return ZT_FEATURE_DEQUEUE;
	return ZT_FEATURE_OTHER;
}

int zt_dequeue_lost(const struct zt_event *e)
{
	return e->type == ZT_EV_FEATURE && e->get_ret == 0 && e->ret != 0;
}

const char *zt_enqueue_result_name(unsigned int result)
{
	switch (result) {
	case ZT_ENQ_STORED:
		return "stored";
	case ZT_ENQ_DROPPED_FULL:
		return "dropped-full";
	case ZT_ENQ_NOT_STORED:
		return "not-stored";
	}
	return "unknown";
}

const char *zt_channel_state_name(unsigned int state)
{
	switch (state) {
	case 1:
		return "normal";
	case 2:
		return "frozen";
	case 3:
		return "perm_failure";
	}
	return NULL;
}

const char *zt_event_name(const struct zt_event *e)
{
	switch (e->type) {
	case ZT_EV_ARRIVAL:
		return "arrival";
	case ZT_EV_ENQUEUE:
		return "enqueue";
	case ZT_EV_NOTIFY:
		return "notify";
	case ZT_EV_OPEN:
		return "open";
	case ZT_EV_CLOSE:
		return "close";
	case ZT_EV_AVAIL:
		return "avail";
	case ZT_EV_RESET:
		return "reset";
	case ZT_EV_FEATURE:
		switch (zt_feature_kind(e)) {
		case ZT_FEATURE_PROBE:
			return "probe";
		case ZT_FEATURE_DEQUEUE:
			return "dequeue";
		default:
			return "feature";
		}
	}
	return "unknown";
}

const char *zt_errname(int ret, char *buf, size_t len)
{
	const char *name = ret < 0 ? strerrorname_np(-ret) : NULL;

	if (name)
		snprintf(buf, len, "-%s", name);
	else
		snprintf(buf, len, "%d", ret);
	return buf;
}

const char *zt_wall_time(unsigned long long ts_ns, long long realtime_off, char *buf, size_t len)
{
	long long wall = (long long)ts_ns + realtime_off;
	time_t secs = (time_t)(wall / 1000000000LL);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%06lld", tm.tm_hour, tm.tm_min, tm.tm_sec, (wall % 1000000000LL) / 1000);
	return buf;
}

const char *zt_json_escape(const char *s, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n && s[i] && o + 7 < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			o += snprintf(buf + o, len - o, "\\u%04x", ch);
		} else {
			buf[o++] = (char)ch;
		}
	}
	if (len)
		buf[o < len ? o : len - 1] = 0;
	return buf;
}

/* emit key=<printf> */
__attribute__((format(printf, 5, 6))) static void field(zt_field_fn fn, void *ctx, const char *key, bool quote,
							 const char *fmt, ...)
{
	char value[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	fn(ctx, key, value, quote);
}

static void pec_field(zt_field_fn fn, void *ctx, uint16_t pec)
{
	const char *name = zt_pec_name(pec);

	if (name)
		field(fn, ctx, "pec", true, "0x%04x/%s", pec, name);
	else
		field(fn, ctx, "pec", true, "0x%04x", pec);
}

void zt_event_fields(const struct zt_event *e, const struct zt_note *note, zt_field_fn fn, void *ctx)
{
	struct zt_ccdf c;
	char err[32];

	if (e->has_fn) {
		field(fn, ctx, "fid", true, "0x%08x", e->fid);
		field(fn, ctx, "fh", true, "0x%08x", e->fh);
	}
	if (e->has_pci)
		field(fn, ctx, "pci", true, "%04x:%02x:%02x.%x", e->pci_domain, e->pci_bus, e->pci_devfn >> 3,
		      e->pci_devfn & 7);
	switch (e->type) {
	case ZT_EV_FEATURE:
		if (zt_feature_kind(e) == ZT_FEATURE_OTHER)
			field(fn, ctx, "flags", true, "0x%x", e->flags);
		field(fn, ctx, "rc", true, "%s", zt_errname(e->ret, err, sizeof(err)));
		if (e->v12)
			pec_field(fn, ctx, e->v12_pec);
		break;
	case ZT_EV_ENQUEUE:
		field(fn, ctx, "result", true, "%s", zt_enqueue_result_name(e->result));
		break;
	case ZT_EV_NOTIFY: {
		const char *state = zt_channel_state_name(e->state);

		if (state)
			field(fn, ctx, "state", true, "%s", state);
		else
			field(fn, ctx, "state", true, "%u", e->state);
		break;
	}
	case ZT_EV_RESET:
		field(fn, ctx, "rc", true, "%s", zt_errname(e->ret, err, sizeof(err)));
		break;
	case ZT_EV_CLOSE:
		field(fn, ctx, "discarded", false, "%u", e->discarded);
		break;
	}
	if (e->has_slot)
		field(fn, ctx, "slot", false, "%u", e->slot);
	if (e->has_ccdf) {
		zt_ccdf_decode(e->ccdf, &c);
		pec_field(fn, ctx, c.pec);
		if (e->type != ZT_EV_AVAIL)
			field(fn, ctx, "faddr", true, "0x%llx", (unsigned long long)c.faddr);
		if (e->type == ZT_EV_ARRIVAL) {
			field(fn, ctx, "q", false, "%u", c.q);
			field(fn, ctx, "rw", false, "%u", c.rw);
			field(fn, ctx, "mvn", false, "%u", c.mvn);
		}
	}
	if (e->type == ZT_EV_ENQUEUE)
		field(fn, ctx, "via", true, "%s", e->derived ? "queue-state" : "store-hook");
	if (zt_dequeue_lost(e))
		field(fn, ctx, "lost", false, "1");
	if (note && note->matched && !zt_dequeue_lost(e))
		field(fn, ctx, "latency_us", false, "%.3f", note->latency_ns / 1000.0);
	if (note && note->unmatched)
		field(fn, ctx, "unmatched", false, "1");
	if (e->q_valid) {
		field(fn, ctx, "queue", false, "%u", e->q_count);
		field(fn, ctx, "head", false, "%u", e->q_head);
		field(fn, ctx, "tail", false, "%u", e->q_tail);
		field(fn, ctx, "mr", false, "%u", e->q_mr);
	}
	field(fn, ctx, "cpu", false, "%u", e->cpu);
	field(fn, ctx, "pid", false, "%u", e->pid);
	field(fn, ctx, "comm", true, "%.*s", ZT_COMM_LEN, e->comm);
}

struct out {
	char *buf;
	size_t len;
	int pos; /* counts on like snprintf past len */
};

__attribute__((format(printf, 2, 3))) static void add(struct out *o, const char *fmt, ...)
{
	size_t at = (size_t)o->pos < o->len ? (size_t)o->pos : o->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf + at, o->len - at, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += n;
}

static void text_field(void *ctx, const char *key, const char *value, bool quote)
{
	(void)quote;
	add(ctx, " %s=%s", key, value);
}

static void json_field(void *ctx, const char *key, const char *value, bool quote)
{
	char esc[256];

	if (quote)
		add(ctx, ",\"%s\":\"%s\"", key, zt_json_escape(value, strlen(value), esc, sizeof(esc)));
	else
		add(ctx, ",\"%s\":%s", key, value);
}

int zt_format_event(const struct zt_event *e, const struct zt_note *note, const struct zt_format_opts *o,
		    char *buf, size_t len)
{
	struct out out = { buf, len, 0 };
	char ts[32];

	if (len)
		buf[0] = 0;
	if (o->timestamp)
		add(&out, "%s ", zt_wall_time(e->ts_ns, o->realtime_off, ts, sizeof(ts)));
	add(&out, "%-8s", zt_event_name(e));
	zt_event_fields(e, note, text_field, &out);
	return out.pos;
}

int zt_format_event_json(const struct zt_event *e, const struct zt_note *note, const struct zt_format_opts *o,
			 char *buf, size_t len)
{
	struct out out = { buf, len, 0 };
	char ts[32];

	if (len)
		buf[0] = 0;
	add(&out, "{\"event\":\"%s\",\"ts_ns\":%llu,\"time\":\"%s\"", zt_event_name(e),
	    (unsigned long long)e->ts_ns, zt_wall_time(e->ts_ns, o->realtime_off, ts, sizeof(ts)));
	zt_event_fields(e, note, json_field, &out);
	add(&out, "}");
	return out.pos;
}
