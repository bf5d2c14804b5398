// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/vfio.h>
#include "event.h"
#include "format.h"
#include "sb.h"
#include "text.h"

/* key=value, as logfmt: a string value that a key=value parser would split (a space: QEMU's vCPU threads are
 * "CPU 0/KVM"), that holds '=' or '"', or is empty, in double quotes with '"' and '\\' escaped. No control
 * character from a comm or any other string reaches the terminal (\xNN) */
static void text_field(void *ctx, const struct zt_field *f)
{
	struct sb *o = ctx;
	char esc[ZT_TEXT_ESCAPED(256)];
	const char *v = f->quote ? zt_text_escape(f->value, strlen(f->value), esc, sizeof(esc)) : f->value;

	sb_put(o, " ", 1);
	sb_str(o, f->key);
	sb_put(o, "=", 1);
	if (!f->quote || (*v && !v[strcspn(v, " =\"")])) {
		sb_str(o, v);
		return;
	}
	sb_put(o, "\"", 1);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			sb_put(o, "\\", 1);
		sb_put(o, v, 1);
	}
	sb_put(o, "\"", 1);
}

static void json_field(void *ctx, const struct zt_field *f)
{
	struct sb *o = ctx;
	char esc[ZT_JSON_ESCAPED(256)];

	sb_put(o, ",\"", 2);
	sb_str(o, f->key);
	sb_put(o, "\":", 2);
	if (f->json) {
		sb_str(o, f->json);
	} else if (f->quote) {
		sb_put(o, "\"", 1);
		sb_str(o, zt_json_escape(f->value, strlen(f->value), esc, sizeof(esc)));
		sb_put(o, "\"", 1);
	} else {
		sb_str(o, f->value);
	}
	if (f->name) {
		sb_put(o, ",\"", 2);
		sb_str(o, f->key);
		sb_str(o, "_name\":\"");
		sb_str(o, zt_json_escape(f->name, strlen(f->name), esc, sizeof(esc)));
		sb_put(o, "\"", 1);
	}
}

int zt_format_event(const struct zt_event *e, const struct zt_match *note, const struct zt_format_opts *o,
		    char *buf, size_t len)
{
	struct sb out = { buf, len, 0 };
	const char *name = zt_event_name(e);
	char ts[32];

	if (len)
		buf[0] = 0;
	if (o->timestamp) {
		sb_str(&out, zt_wall_time(e->ts_ns, o->realtime_off, ts, sizeof(ts)));
		sb_put(&out, " ", 1);
	}
	sb_str(&out, name);
	sb_put(&out, "        ", strlen(name) < 8 ? 8 - strlen(name) : 0);
	zt_event_fields(e, note, text_field, &out);
	return out.pos;
}

int zt_format_event_json(const struct zt_event *e, const struct zt_match *note, const struct zt_format_opts *o,
			 char *buf, size_t len)
{
	struct sb out = { buf, len, 0 };
	char ts[32];

	if (len)
		buf[0] = 0;
	sb_str(&out, "{\"event\":\"");
	sb_str(&out, zt_event_name(e));
	sb_str(&out, "\",\"ts_ns\":");
	sb_u64(&out, e->ts_ns);
	sb_str(&out, ",\"time\":\"");
	sb_str(&out, zt_rfc3339(e->ts_ns, o->realtime_off, ts, sizeof(ts)));
	sb_put(&out, "\"", 1);
	zt_event_fields(e, note, json_field, &out);
	sb_put(&out, "}", 1);
	return out.pos;
}
