// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "jsonw.h"
#include "owner.h"
#include "pec.h"
#include "text.h"

/* through the one escaper (text.h), whole: a sequence is never split */
static void put_str(FILE *out, const char *s)
{
	size_t n = strlen(s);
	char small[ZT_JSON_ESCAPED(256)], *buf = n <= 256 ? small : malloc(ZT_JSON_ESCAPED(n));

	fputc('"', out);
	if (buf)
		fputs(zt_json_escape(s, n, buf, n <= 256 ? sizeof(small) : ZT_JSON_ESCAPED(n)), out);
	else /* no memory for a long string: said in the string, never a broken document */
		fputs("(out of memory)", out);
	fputc('"', out);
	if (buf != small)
		free(buf);
}

/* the comma and the key before a value */
static void member(struct zt_jw *w, const char *key)
{
	if (w->more[w->depth])
		fputc(',', w->out);
	if (w->line_depth && w->depth == w->line_depth)
		fputc('\n', w->out);
	w->more[w->depth] = true;
	if (key) {
		put_str(w->out, key);
		fputc(':', w->out);
	}
}

void zt_jw_open(struct zt_jw *w, const char *key, char bracket)
{
	member(w, key);
	fputc(bracket, w->out);
	if (w->depth < ZT_JW_DEPTH - 1)
		w->more[++w->depth] = false;
}

void zt_jw_close(struct zt_jw *w, char bracket)
{
	if (w->depth > 0)
		w->depth--;
	fputc(bracket, w->out);
}

void zt_jw_str(struct zt_jw *w, const char *key, const char *v)
{
	member(w, key);
	put_str(w->out, v);
}

void zt_jw_u64(struct zt_jw *w, const char *key, uint64_t v)
{
	member(w, key);
	fprintf(w->out, "%" PRIu64, v);
}

void zt_jw_i64(struct zt_jw *w, const char *key, int64_t v)
{
	member(w, key);
	fprintf(w->out, "%" PRId64, v);
}

void zt_jw_f3(struct zt_jw *w, const char *key, double v)
{
	member(w, key);
	fprintf(w->out, "%.3f", v);
}

void zt_jw_bool(struct zt_jw *w, const char *key, bool v)
{
	member(w, key);
	fputs(v ? "true" : "false", w->out);
}

void zt_jw_hex(struct zt_jw *w, const char *key, uint64_t v, int width)
{
	member(w, key);
	fprintf(w->out, "\"0x%0*" PRIx64 "\"", width, v);
}

void zt_jw_raw(struct zt_jw *w, const char *key, const char *json)
{
	member(w, key);
	fputs(json, w->out);
}

void zt_jw_pec(struct zt_jw *w, uint16_t pec)
{
	char code[8];

	snprintf(code, sizeof(code), "0x%04x", pec);
	zt_jw_str(w, "pec", code);
	if (zt_pec_name(pec))
		zt_jw_str(w, "pec_name", zt_pec_name(pec));
}

void zt_jw_owner(struct zt_jw *w, const struct zt_owner *o)
{
	if (!o || !o->pid) {
		zt_jw_raw(w, "owner", "null");
		return;
	}
	zt_jw_open(w, "owner", '{');
	zt_jw_u64(w, "pid", (uint64_t)o->pid);
	zt_jw_str(w, "comm", o->comm);
	zt_jw_str(w, "exe", o->exe);
	zt_jw_str(w, "domain", o->domain);
	zt_jw_close(w, '}');
}
