/* SPDX-License-Identifier: GPL-2.0 */
/* A string builder without printf, for the event lines: a storm formats millions of fields a second
 * (docs/performance.md). */
#ifndef ZPCITRACE_SB_H
#define ZPCITRACE_SB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "text.h"

struct sb {
	char *buf;
	size_t len;
	int pos; /* counts on past len, like snprintf */
};

static inline void sb_put(struct sb *b, const char *s, size_t n)
{
	if ((size_t)b->pos < b->len) {
		size_t room = b->len - (size_t)b->pos - 1, k = n < room ? n : room;

		memcpy(b->buf + b->pos, s, k);
		b->buf[(size_t)b->pos + k] = 0;
	}
	b->pos += (int)n;
}

static inline void sb_str(struct sb *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static inline void sb_u64(struct sb *b, uint64_t v)
{
	char d[20];

	sb_put(b, d, (size_t)(zt_put_u64(d, v) - d));
}

/* lowercase hex, at least width digits */
static inline void sb_hex(struct sb *b, uint64_t v, int width)
{
	char d[16];
	int n = 0;

	do {
		d[sizeof(d) - 1 - n++] = zt_hex_digits[v & 15];
		v >>= 4;
	} while (v || n < width);
	sb_put(b, d + sizeof(d) - n, (size_t)n);
}

#endif
