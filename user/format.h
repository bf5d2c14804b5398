/* SPDX-License-Identifier: GPL-2.0 */
/* The live view's text sink: one line per traced event, key=value text, or a JSON object with the same
 * fields (-j). */
#ifndef ZPCITRACE_FORMAT_H
#define ZPCITRACE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "event.h"
#include "zt_event.h"

struct zt_match;

struct zt_format_opts {
	bool timestamp;          /* prefix wall-clock time (-T); JSON always carries it */
	long long realtime_off;  /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns: turns ts_ns into wall-clock time */
};

/* Format e (note may be NULL) as one text line / one JSON object, without newline, into buf; return the
 * length snprintf would have written. */
int zt_format_event(const struct zt_event *e, const struct zt_match *note, const struct zt_format_opts *o,
		    char *buf, size_t len);
int zt_format_event_json(const struct zt_event *e, const struct zt_match *note, const struct zt_format_opts *o,
			 char *buf, size_t len);

#endif
