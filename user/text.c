// SPDX-License-Identifier: GPL-2.0
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "text.h"

const char zt_hex_digits[16] = "0123456789abcdef";

long long zt_wall_ns(unsigned long long ts_ns, long long realtime_off)
{
	long long wall;

	/* a capture's timestamps are whatever its file says: saturate rather than overflow */
	if (ts_ns > (unsigned long long)LLONG_MAX || __builtin_add_overflow((long long)ts_ns, realtime_off, &wall))
		return realtime_off < 0 && ts_ns <= (unsigned long long)LLONG_MAX ? LLONG_MIN : LLONG_MAX;
	return wall;
}

const char *zt_wall_time(unsigned long long ts_ns, long long realtime_off, char *buf, size_t len)
{
	long long wall = zt_wall_ns(ts_ns, realtime_off);
	long long day_ns = wall % (86400LL * 1000000000LL), us, s;
	char t[16];

	if (day_ns < 0)
		day_ns += 86400LL * 1000000000LL;
	/* UTC time of day needs no calendar: no gmtime, no printf (capture lines carry it, docs/performance.md) */
	s = day_ns / 1000000000LL;
	us = day_ns % 1000000000LL / 1000;
	t[0] = (char)('0' + s / 36000);
	t[1] = (char)('0' + s / 3600 % 10);
	t[2] = ':';
	t[3] = (char)('0' + s % 3600 / 600);
	t[4] = (char)('0' + s % 600 / 60);
	t[5] = ':';
	t[6] = (char)('0' + s % 60 / 10);
	t[7] = (char)('0' + s % 10);
	t[8] = '.';
	for (int i = 14; i > 8; i--, us /= 10)
		t[i] = (char)('0' + us % 10);
	t[15] = 0;
	if (len) {
		size_t n = len - 1 < 15 ? len - 1 : 15;

		memcpy(buf, t, n);
		buf[n] = 0;
	}
	return buf;
}

const char *zt_rfc3339(unsigned long long ts_ns, long long realtime_off, char *buf, size_t len)
{
	long long wall = zt_wall_ns(ts_ns, realtime_off), day = wall / (86400LL * 1000000000LL);
	char tod[16];

	if (wall < 0 && wall % (86400LL * 1000000000LL))
		day--;
	/* the civil date of a day count (H. Hinnant's days_from_civil, inverted): no gmtime, no time zone */
	long long z = day + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	long long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);

	snprintf(buf, len, "%04lld-%02lld-%02lldT%sZ", y, m, d, zt_wall_time(ts_ns, realtime_off, tod, sizeof(tod)));
	return buf;
}

/* "00" to "99": two digits per division (a record's times and handles have 10 to 20) */
static const char two_digits[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
				    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
				    "8081828384858687888990919293949596979899";

static int decimal_digits(uint64_t v)
{
	static const uint64_t pow10[20] = { 1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
					    10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
					    100000000000ull, 1000000000000ull, 10000000000000ull,
					    100000000000000ull, 1000000000000000ull, 10000000000000000ull,
					    100000000000000000ull, 1000000000000000000ull,
					    10000000000000000000ull };
	/* log10 from log2 (1233/4096 ~ log10(2)), then one comparison; v > 0 */
	int n = (64 - __builtin_clzll(v)) * 1233 >> 12;

	return n + (v >= pow10[n]);
}

/* the same digits in the type's own arithmetic: a 32-bit division by 100 is a cheaper multiplication */
#define PUT_WIDE(name, type)                                          \
	char *name(char *p, type v)                                   \
	{                                                             \
		char *end = p + decimal_digits(v);                    \
                                                                      \
		p = end;                                              \
		for (; v >= 100; v /= 100) {                          \
			p -= 2;                                       \
			memcpy(p, two_digits + v % 100 * 2, 2);       \
		}                                                     \
		if (v >= 10)                                          \
			memcpy(p - 2, two_digits + v * 2, 2);         \
		else                                                  \
			p[-1] = (char)('0' + v);                      \
		return end;                                           \
	}
PUT_WIDE(zt_put_u64_wide, uint64_t)
PUT_WIDE(zt_put_u32_wide, uint32_t)

#define U8_1(v) { (char)('0' + (v)), 0, 0, 1 }
#define U8_2(v) { (char)('0' + (v) / 10), (char)('0' + (v) % 10), 0, 2 }
#define U8_3(v) { (char)('0' + (v) / 100), (char)('0' + (v) / 10 % 10), (char)('0' + (v) % 10), 3 }
#define U8_ROW10(f, b) f(b), f(b + 1), f(b + 2), f(b + 3), f(b + 4), f(b + 5), f(b + 6), f(b + 7), f(b + 8), f(b + 9)
#define U8_ROW100(b)                                                                                         \
	U8_ROW10(U8_3, b), U8_ROW10(U8_3, b + 10), U8_ROW10(U8_3, b + 20), U8_ROW10(U8_3, b + 30),           \
		U8_ROW10(U8_3, b + 40), U8_ROW10(U8_3, b + 50), U8_ROW10(U8_3, b + 60), U8_ROW10(U8_3, b + 70), \
		U8_ROW10(U8_3, b + 80), U8_ROW10(U8_3, b + 90)
const char zt_u8_text[256][4] = {
	U8_ROW10(U8_1, 0),
	U8_ROW10(U8_2, 10), U8_ROW10(U8_2, 20), U8_ROW10(U8_2, 30), U8_ROW10(U8_2, 40), U8_ROW10(U8_2, 50),
	U8_ROW10(U8_2, 60), U8_ROW10(U8_2, 70), U8_ROW10(U8_2, 80), U8_ROW10(U8_2, 90),
	U8_ROW100(100),
	U8_ROW10(U8_3, 200), U8_ROW10(U8_3, 210), U8_ROW10(U8_3, 220), U8_ROW10(U8_3, 230), U8_ROW10(U8_3, 240),
	U8_3(250), U8_3(251), U8_3(252), U8_3(253), U8_3(254), U8_3(255),
};

/* "00" to "ff": a byte's two digits in one store (a capture line's CCDF is 64 of them) */
static const char hex_pairs[513] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
	"606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	"e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

char *zt_put_hex(char *p, const uint8_t *b, size_t n)
{
	size_t i = 0;

	/* eight bytes read before their digits are stored: p may alias b, so a byte at a time would read each
	 * byte again after every store */
	for (; i + 8 <= n; i += 8, p += 16) {
		uint8_t x[8];

		memcpy(x, b + i, 8);
		for (int k = 0; k < 8; k++)
			memcpy(p + 2 * k, hex_pairs + 2 * x[k], 2);
	}
	for (; i < n; i++, p += 2)
		memcpy(p, hex_pairs + 2 * b[i], 2);
	return p;
}

size_t zt_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3
		   : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
	uint32_t c;

	if (!len || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	c = len == 1 ? s[0]
	  : len == 2 ? (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f)
	  : len == 3 ? (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f)
		     : (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 | (uint32_t)(s[2] & 0x3f) << 6 |
			 (s[3] & 0x3f);
	/* overlong forms, surrogates and beyond U+10FFFF are not UTF-8 */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c < 0xe000))
		return 0;
	*cp = c;
	return len;
}

/* a control character: C0, DEL or C1 */
static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

const char *zt_json_escape(const char *s, size_t n, char *buf, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;

	if (!len)
		return buf;
	for (size_t i = 0; i < n && u[i];) {
		uint32_t cp = 0;
		size_t k = zt_utf8_decode(u + i, strnlen(s + i, n - i), &cp);

		if (k && (cp == '"' || cp == '\\')) {
			if (o + 2 >= len)
				break;
			buf[o++] = '\\';
			buf[o++] = (char)cp;
		} else if (k && !is_control(cp)) { /* valid UTF-8 as it is */
			if (o + k >= len)
				break;
			memcpy(buf + o, s + i, k);
			o += k;
		} else { /* a control as \u00XX; a byte that is not UTF-8 as U+FFFD, the replacement character */
			if (o + 6 >= len)
				break;
			memcpy(buf + o, "\\u", 2);
			memcpy(buf + o + 2, k ? "00" : "ff", 2);
			buf[o + 4] = k ? zt_hex_digits[cp >> 4] : 'f';
			buf[o + 5] = k ? zt_hex_digits[cp & 15] : 'd';
			o += 6;
			k = k ? k : 1;
		}
		i += k;
	}
	buf[o] = 0;
	return buf;
}

/* the length of the valid UTF-8 sequence at s (n bytes left) that is not a control, or 0 */
static size_t utf8_printable(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len = zt_utf8_decode(s, n, &cp);

	return len && !is_control(cp) ? len : 0;
}

const char *zt_text_escape(const char *s, size_t n, char *buf, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;

	if (!len)
		return buf;
	for (size_t i = 0; i < n && u[i];) {
		size_t k = u[i] >= 0x80 ? utf8_printable(u + i, strnlen(s + i, n - i)) : 0;

		if (k) {
			if (o + k >= len)
				break;
			memcpy(buf + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		if (u[i] >= 0x20 && u[i] < 0x7f) {
			if (o + 1 >= len)
				break;
			buf[o++] = s[i++];
			continue;
		}
		if (o + 4 >= len)
			break;
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = zt_hex_digits[u[i] >> 4];
		buf[o++] = zt_hex_digits[u[i] & 15];
		i++;
	}
	buf[o] = 0;
	return buf;
}

size_t zt_pci_name(bool has_pci, uint32_t domain, uint8_t bus, uint8_t devfn, char *buf, size_t len)
{
	/* no printf: the event lines carry it (docs/performance.md) */
	char t[13] = "-";
	size_t n = 1;

	if (has_pci) {
		for (int i = 0; i < 4; i++)
			t[i] = zt_hex_digits[domain >> (12 - 4 * i) & 15];
		t[4] = ':';
		t[5] = zt_hex_digits[bus >> 4];
		t[6] = zt_hex_digits[bus & 15];
		t[7] = ':';
		t[8] = zt_hex_digits[devfn >> 7];
		t[9] = zt_hex_digits[devfn >> 3 & 15];
		t[10] = '.';
		t[11] = zt_hex_digits[devfn & 7];
		n = 12;
	}
	if (len) {
		n = n < len - 1 ? n : len - 1;
		memcpy(buf, t, n);
		buf[n] = 0;
	}
	return n;
}

int zt_why(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return -1;
}
