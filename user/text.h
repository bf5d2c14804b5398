/* SPDX-License-Identifier: GPL-2.0 */
/* Small text helpers with one home: wall-clock times, digits without printf, hex, JSON string escaping, PCI
 * addresses, microseconds. */
#ifndef ZPCITRACE_TEXT_H
#define ZPCITRACE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern const char zt_hex_digits[16];

/* "HH:MM:SS.uuuuuu" (UTC) of a bpf_ktime_get_ns() timestamp */
const char *zt_wall_time(unsigned long long ts_ns, long long realtime_off, char *buf, size_t len);
/* CLOCK_REALTIME ns of a CLOCK_MONOTONIC timestamp, saturated at the ends of long long */
long long zt_wall_ns(unsigned long long ts_ns, long long realtime_off);

/* the decimal digits of v at p (at most 20 bytes, with the sign); return the end */
char *zt_put_u64(char *p, uint64_t v);
char *zt_put_i64(char *p, int64_t v);

/* JSON string escaping of s into buf (without quotes) */
const char *zt_json_escape(const char *s, size_t n, char *buf, size_t len);

/* "0001:00:00.0" (domain:bus:device.function), or "-" without an address; its length */
size_t zt_pci_name(bool has_pci, uint32_t domain, uint8_t bus, uint8_t devfn, char *buf, size_t len);

/* ns as microseconds */
static inline double zt_us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

#endif
