// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

/* values and strings are carved from blocks that grow with what the text holds: memory follows the values
 * parsed, not a worst case of the line's length */
struct block {
	struct block *next;
	size_t used, cap;
	_Alignas(8) char data[];
};
#define BLOCK_MIN 4096
#define BLOCK_MAX (1024 * 1024)

struct parser {
	const char *s;
	size_t len, pos;
	struct block *arena; /* the newest block first */
	size_t next_cap;
	const char *error;
};

static void *carve(struct parser *p, size_t n)
{
	struct block *b = p->arena;
	void *r;

	n = (n + 7) & ~(size_t)7;
	if (!b || b->used + n > b->cap) {
		size_t cap = p->next_cap > n ? p->next_cap : n;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = p->arena;
		b->used = 0;
		b->cap = cap;
		p->arena = b;
		p->next_cap = p->next_cap * 2 > BLOCK_MAX ? BLOCK_MAX : p->next_cap * 2;
	}
	r = b->data + b->used;
	b->used += n;
	return r;
}

static void free_blocks(struct block *b)
{
	while (b) {
		struct block *next = b->next;

		free(b);
		b = next;
	}
}

static int fail(struct parser *p, const char *why)
{
	if (!p->error)
		p->error = why;
	return -1;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
				   p->s[p->pos] == '\r'))
		p->pos++;
}

static int hex4(struct parser *p, unsigned *out)
{
	*out = 0;
	if (p->len - p->pos < 4)
		return fail(p, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos++];
		unsigned v = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
		if (v == 16)
			return fail(p, "bad \\u escape");
		*out = *out << 4 | v;
	}
	return 0;
}

static int put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* at the opening quote; the unescaped string is never longer than the escaped one */
static int string(struct parser *p, char **out)
{
	size_t start = ++p->pos, n = 0;
	char *o;

	while (p->pos < p->len && p->s[p->pos] != '"') {
		if (p->s[p->pos] == '\\')
			p->pos++;
		p->pos++;
	}
	if (p->pos >= p->len)
		return fail(p, "unterminated string");
	o = carve(p, p->pos - start + 1);
	if (!o)
		return fail(p, "out of memory");
	for (p->pos = start; p->s[p->pos] != '"';) {
		unsigned char c = (unsigned char)p->s[p->pos++];

		if (c < 0x20)
			return fail(p, "control character in string");
		if (c != '\\') {
			o[n++] = (char)c;
			continue;
		}
		c = (unsigned char)p->s[p->pos++];
		switch (c) {
		case '"': case '\\': case '/':
			o[n++] = (char)c;
			break;
		case 'b': o[n++] = '\b'; break;
		case 'f': o[n++] = '\f'; break;
		case 'n': o[n++] = '\n'; break;
		case 'r': o[n++] = '\r'; break;
		case 't': o[n++] = '\t'; break;
		case 'u': {
			unsigned cp;

			if (hex4(p, &cp))
				return -1;
			if (!cp)
				return fail(p, "NUL in string");
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd; /* lone or paired surrogates: not needed by captures */
			n += (size_t)put_utf8(o + n, cp);
			break;
		}
		default:
			return fail(p, "bad escape");
		}
	}
	p->pos++;
	o[n] = 0;
	*out = o;
	return 0;
}

static int number(struct parser *p, struct zt_json *v)
{
	size_t start = p->pos;
	bool integer = true;
	char buf[64], *end;

	if (p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
		return fail(p, "bad number");
	if (p->s[p->pos] == '0' && p->pos + 1 < p->len && p->s[p->pos + 1] >= '0' && p->s[p->pos + 1] <= '9')
		return fail(p, "leading zero");
	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		integer = false;
		p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, "bad fraction");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		integer = false;
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, "bad exponent");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos - start >= sizeof(buf))
		return fail(p, "number too long");
	memcpy(buf, p->s + start, p->pos - start);
	buf[p->pos - start] = 0;
	v->type = ZT_JSON_NUMBER;
	if (integer && p->pos - start < 19) { /* fits int64: the common case, no strtod */
		v->integer = strtoll(buf, &end, 10);
		v->number = (double)v->integer;
		v->is_integer = true;
		v->is_unsigned = v->integer >= 0;
		v->uinteger = (uint64_t)v->integer;
		return 0;
	}
	if (integer && buf[0] != '-') { /* up to 2^64 - 1: the record's 64-bit unsigned fields */
		errno = 0;
		v->uinteger = strtoull(buf, &end, 10);
		v->is_unsigned = errno != ERANGE;
	}
	v->number = strtod(buf, &end);
	if (!isfinite(v->number))
		return fail(p, "number out of range");
	if (integer) {
		long long ll = strtoll(buf, &end, 10);

		/* 2^63 and beyond do not fit: kept as a double only */
		v->is_integer = fabs(v->number) < 9.2e18;
		v->integer = ll;
	}
	return 0;
}

static int value(struct parser *p, struct zt_json **out, int depth);

/* an object's or array's members, after its opening bracket */
static int container(struct parser *p, struct zt_json *v, int depth)
{
	bool obj = p->s[p->pos] == '{';
	char close = obj ? '}' : ']';
	struct zt_json **tail = &v->child;

	v->type = obj ? ZT_JSON_OBJECT : ZT_JSON_ARRAY;
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		struct zt_json *m;

		skip_ws(p);
		if (obj) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected a key");
			if (string(p, &key))
				return -1;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail(p, "expected ':'");
			p->pos++;
		}
		if (value(p, &m, depth + 1))
			return -1;
		m->key = key;
		*tail = m;
		tail = &m->next;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return 0;
		}
		return fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int literal(struct parser *p, struct zt_json *v)
{
	static const char *const words[] = { "true", "false", "null" };

	for (int i = 0; i < 3; i++) {
		size_t n = strlen(words[i]);

		if (p->len - p->pos >= n && !memcmp(p->s + p->pos, words[i], n)) {
			p->pos += n;
			v->type = i == 2 ? ZT_JSON_NULL : ZT_JSON_BOOL;
			v->boolean = i == 0;
			return 0;
		}
	}
	return fail(p, "bad literal");
}

static int value(struct parser *p, struct zt_json **out, int depth)
{
	struct zt_json *v;

	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "unexpected end");
	if (depth > ZT_JSON_MAX_DEPTH)
		return fail(p, "nested too deep");
	v = carve(p, sizeof(*v));
	if (!v)
		return fail(p, "out of memory");
	memset(v, 0, sizeof(*v));
	*out = v;
	switch (p->s[p->pos]) {
	case '{':
	case '[':
		return container(p, v, depth);
	case '"':
		v->type = ZT_JSON_STRING;
		return string(p, &v->string);
	case 't':
	case 'f':
	case 'n':
		return literal(p, v);
	default:
		return number(p, v);
	}
}

int zt_json_parse(const char *text, size_t len, struct zt_json_doc *doc)
{
	struct parser p = { .s = text, .len = len, .next_cap = BLOCK_MIN };

	memset(doc, 0, sizeof(*doc));
	if (value(&p, &doc->root, 0) == 0) {
		skip_ws(&p);
		if (p.pos == p.len) {
			doc->arena = p.arena;
			return 0;
		}
		fail(&p, "trailing characters");
	}
	free_blocks(p.arena);
	doc->root = NULL;
	doc->error = p.error;
	doc->error_at = p.pos;
	return -1;
}

void zt_json_free(struct zt_json_doc *doc)
{
	free_blocks(doc->arena);
	memset(doc, 0, sizeof(*doc));
}

const struct zt_json *zt_json_get(const struct zt_json *obj, const char *key)
{
	const struct zt_json *found = NULL;

	if (!obj || obj->type != ZT_JSON_OBJECT)
		return NULL;
	/* a key given twice: the last one, as jq reads it */
	for (const struct zt_json *m = obj->child; m; m = m->next)
		if (m->key && !strcmp(m->key, key))
			found = m;
	return found;
}

bool zt_json_int(const struct zt_json *obj, const char *key, int64_t *out)
{
	const struct zt_json *v = zt_json_get(obj, key);

	if (!v || v->type != ZT_JSON_NUMBER || !v->is_integer)
		return false;
	*out = v->integer;
	return true;
}

bool zt_json_u64(const struct zt_json *obj, const char *key, uint64_t *out)
{
	const struct zt_json *v = zt_json_get(obj, key);

	if (!v || v->type != ZT_JSON_NUMBER || !v->is_unsigned)
		return false;
	*out = v->uinteger;
	return true;
}

bool zt_json_str(const struct zt_json *obj, const char *key, const char **out)
{
	const struct zt_json *v = zt_json_get(obj, key);

	if (!v || v->type != ZT_JSON_STRING)
		return false;
	*out = v->string;
	return true;
}
