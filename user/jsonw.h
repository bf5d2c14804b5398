/* SPDX-License-Identifier: GPL-2.0 */
/* The JSON writer for everything but the event lines (which have their own fast writers, format.c and the
 * capture's): summaries, status, the timeline, the capture's header and trailer. Compact output, keys in the
 * order written, strings escaped. */
#ifndef ZPCITRACE_JSONW_H
#define ZPCITRACE_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define ZT_JW_DEPTH 8

struct zt_jw {
	FILE *out;
	int depth;
	int line_depth; /* members at this depth each begin a line (a timeline's events); 0: one line */
	bool more[ZT_JW_DEPTH]; /* a value was written at this depth: the next one needs a comma */
};

static inline void zt_jw_init(struct zt_jw *w, FILE *out)
{
	*w = (struct zt_jw){ .out = out };
}

/* key is the member's name inside an object, NULL inside an array or at the top */
void zt_jw_open(struct zt_jw *w, const char *key, char bracket); /* '{' or '[' */
void zt_jw_close(struct zt_jw *w, char bracket);                 /* '}' or ']' */
void zt_jw_str(struct zt_jw *w, const char *key, const char *v);
void zt_jw_u64(struct zt_jw *w, const char *key, uint64_t v);
void zt_jw_i64(struct zt_jw *w, const char *key, int64_t v);
/* a PEC as every JSON object gives it: "pec":"0x0004", and "pec_name":"tprote" where the code has a name */
void zt_jw_pec(struct zt_jw *w, uint16_t pec);
void zt_jw_f3(struct zt_jw *w, const char *key, double v); /* three decimals: ms, us */
void zt_jw_bool(struct zt_jw *w, const char *key, bool v);
/* "0x%0*x" as a string */
void zt_jw_hex(struct zt_jw *w, const char *key, uint64_t v, int width);
/* "owner":{"pid":N,"comm":"…","exe":"…","domain":"…"} of a function (owner.h), or "owner":null */
struct zt_owner;
void zt_jw_owner(struct zt_jw *w, const struct zt_owner *o);
/* json, already written (an event's fields from its own writer) */
void zt_jw_raw(struct zt_jw *w, const char *key, const char *json);

#endif
