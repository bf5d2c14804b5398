/* SPDX-License-Identifier: GPL-2.0 */
/* One line per traced event: key=value text, or a JSON object with the same fields (-j). */
#ifndef ZPCITRACE_FORMAT_H
#define ZPCITRACE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "zpcitrace.h"

struct zt_note;

struct zt_format_opts {
	bool timestamp;          /* prefix wall-clock time (-T); JSON always carries it */
	long long realtime_off;  /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns: turns ts_ns into wall-clock time */
};

/* What a feature event was: a probe, a dequeue, or another (rejected) feature call. */
enum zt_feature_kind { ZT_FEATURE_PROBE, ZT_FEATURE_DEQUEUE, ZT_FEATURE_OTHER };
enum zt_feature_kind zt_feature_kind(const struct zt_event *e);

/* A dequeue whose entry left the queue but never reached the VMM (copy_to_user failed: -EFAULT). */
int zt_dequeue_lost(const struct zt_event *e);

/* "stored", "dropped-full", "not-stored", "unknown" */
const char *zt_enqueue_result_name(unsigned int result);
/* pci_channel_state_t names ("frozen"), or NULL */
const char *zt_channel_state_name(unsigned int state);

/* Name of an event as printed first on its line ("arrival", "dequeue", ...). */
const char *zt_event_name(const struct zt_event *e);

/* "-ENOMSG", "0", or "-123" for errnos without a name. */
const char *zt_errname(int ret, char *buf, size_t len);

/* "HH:MM:SS.uuuuuu" (UTC) of a bpf_ktime_get_ns() timestamp */
const char *zt_wall_time(unsigned long long ts_ns, long long realtime_off, char *buf, size_t len);
/* CLOCK_REALTIME ns of a CLOCK_MONOTONIC timestamp, saturated at the ends of long long */
long long zt_wall_ns(unsigned long long ts_ns, long long realtime_off);

/* Each field of an event, in print order: quote says a JSON string (else a JSON number). */
typedef void (*zt_field_fn)(void *ctx, const char *key, const char *value, bool quote);
void zt_event_fields(const struct zt_event *e, const struct zt_note *note, zt_field_fn fn, void *ctx);

/* Format e (note may be NULL) as one text line / one JSON object, without newline, into buf; return the
 * length snprintf would have written. */
int zt_format_event(const struct zt_event *e, const struct zt_note *note, const struct zt_format_opts *o,
		    char *buf, size_t len);
int zt_format_event_json(const struct zt_event *e, const struct zt_note *note, const struct zt_format_opts *o,
			 char *buf, size_t len);

/* the decimal digits of v at p (at most 20 bytes, with the sign); return the end */
char *zt_put_u64(char *p, uint64_t v);
char *zt_put_i64(char *p, int64_t v);

/* JSON string escaping of s into buf (without quotes) */
const char *zt_json_escape(const char *s, size_t n, char *buf, size_t len);

#endif
