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

static void text_field(void *ctx, const char *key, const char *value, bool quote)
{
	struct sb *o = ctx;
	char esc[ZT_TEXT_ESCAPED(64)];

	sb_put(o, " ", 1);
	sb_str(o, key);
	sb_put(o, "=", 1);
	/* a string value may come from another process (comm): no control character reaches the terminal */
	sb_str(o, quote ? zt_text_escape(value, strlen(value), esc, sizeof(esc)) : value);
}

static void json_field(void *ctx, const char *key, const char *value, bool quote)
{
	struct sb *o = ctx;
	char esc[256];

	sb_put(o, ",\"", 2);
	sb_str(o, key);
	sb_put(o, "\":", 2);
	if (quote) {
		sb_put(o, "\"", 1);
		sb_str(o, zt_json_escape(value, strlen(value), esc, sizeof(esc)));
		sb_put(o, "\"", 1);
	} else {
		sb_str(o, value);
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
	sb_str(&out, zt_wall_time(e->ts_ns, o->realtime_off, ts, sizeof(ts)));
	sb_put(&out, "\"", 1);
	zt_event_fields(e, note, json_field, &out);
	sb_put(&out, "}", 1);
	return out.pos;
}
