/* SPDX-License-Identifier: GPL-2.0 */
/* Small text helpers with one home: wall-clock times, digits without printf, hex, JSON string escaping, PCI
 * addresses, microseconds. */
#ifndef ZPCITRACE_TEXT_H
#define ZPCITRACE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

extern const char zt_hex_digits[16];

/* "HH:MM:SS.uuuuuu" (UTC) of a bpf_ktime_get_ns() timestamp */
const char *zt_wall_time(unsigned long long ts_ns, long long realtime_off, char *buf, size_t len);
/* the same instant in RFC 3339, UTC, with its date: "2026-12-07T02:26:13.123456Z" (28 bytes with the NUL) */
const char *zt_rfc3339(unsigned long long ts_ns, long long realtime_off, char *buf, size_t len);
/* CLOCK_REALTIME ns of a CLOCK_MONOTONIC timestamp, saturated at the ends of long long */
long long zt_wall_ns(unsigned long long ts_ns, long long realtime_off);

/* the decimal digits of v >= 10 at p: zt_put_u64's and zt_put_u32's other paths */
char *zt_put_u64_wide(char *p, uint64_t v);
char *zt_put_u32_wide(char *p, uint32_t v);
/* each byte value's digits, and their count in the fourth byte */
extern const char zt_u8_text[256][4];

/* the decimal digits of a byte at p in one 4-byte store: p must have 4 bytes of room; return the end */
static inline char *zt_put_u8(char *p, uint8_t v)
{
	memcpy(p, zt_u8_text[v], 4);
	return p + zt_u8_text[v][3];
}

/* as zt_put_u64, in 32-bit arithmetic (a division by 100 is a cheaper multiplication) */
static inline char *zt_put_u32(char *p, uint32_t v)
{
	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	return zt_put_u32_wide(p, v);
}

/* the decimal digits of v at p (at most 20 bytes, with the sign); return the end. Inline: most of a record's
 * fields (flags, counters, slots) are one digit, written without a call */
static inline char *zt_put_u64(char *p, uint64_t v)
{
	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	return zt_put_u64_wide(p, v);
}

static inline char *zt_put_i64(char *p, int64_t v)
{
	if (v >= 0)
		return zt_put_u64(p, (uint64_t)v);
	*p++ = '-';
	return zt_put_u64(p, (uint64_t)-(v + 1) + 1);
}

/* a one-line reason into buf, for a function that fails with it: -1 */
__attribute__((format(printf, 3, 4))) int zt_why(char *buf, size_t len, const char *fmt, ...);

/* n bytes as 2n lowercase hex digits at p; return the end */
char *zt_put_hex(char *p, const uint8_t *b, size_t n);

/* the valid UTF-8 sequence at s (n > 0 bytes left): its length, its code point in *cp; 0 when it is not UTF-8
 * (a stray byte, an overlong form, a surrogate, beyond U+10FFFF, cut short) */
size_t zt_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* The one JSON string escaper (every JSON output: -j, report -j, status -j, captures, the timeline): s (n bytes at
 * most, to a NUL) into buf without quotes. Valid UTF-8 as it is; '"' and '\\' escaped; controls (C0, DEL, C1) as
 * \u00XX; a byte that is not UTF-8 as \ufffd (U+FFFD). Cut at len, never inside a sequence */
const char *zt_json_escape(const char *s, size_t n, char *buf, size_t len);
/* the longest JSON escape of n bytes, with the NUL */
#define ZT_JSON_ESCAPED(n) (6 * (n) + 1)

/* s (n bytes at most, to a NUL) for a terminal, into buf: C0 controls, DEL, C1 controls (raw or as UTF-8),
 * and bytes that are not valid UTF-8 as \xNN, valid UTF-8 as it is. Every string that comes
 * from a capture, the kernel or another process passes here before a text output prints it. Cut at len */
const char *zt_text_escape(const char *s, size_t n, char *buf, size_t len);
/* the longest escape of n bytes, with the NUL */
#define ZT_TEXT_ESCAPED(n) (4 * (n) + 1)

/* "0001:00:00.0" (domain:bus:device.function), or "-" without an address; its length */
size_t zt_pci_name(bool has_pci, uint32_t domain, uint8_t bus, uint8_t devfn, char *buf, size_t len);

/* ns as microseconds */
static inline double zt_us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

#endif
