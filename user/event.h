/* SPDX-License-Identifier: GPL-2.0 */
/* What an event is, apart from its text: its kind, its name, what a feature call was, whether a dequeue lost
 * its error. The correlator, the capture, the timeline and the formatter all ask here. */
#ifndef ZPCITRACE_EVENT_H
#define ZPCITRACE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "zt_event.h"

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

/* Each field of an event, in print order (fid, fh, pci, rc, ..., comm), with what the correlator matched (note
 * may be NULL). format.c's lines and the timeline show them. */
struct zt_match;
struct zt_field {
	const char *key;
	const char *value; /* as the text prints it */
	bool quote;        /* a string (JSON quotes it), else a number */
	const char *json;  /* JSON's own value, a JSON token, where it is typed otherwise (rc: -42, pec: "0x0004") */
	const char *name;  /* JSON: the name beside it, as KEY_name (rc_name "ENOMSG", pec_name "tprote"), or NULL */
};
typedef void (*zt_field_fn)(void *ctx, const struct zt_field *f);
void zt_event_fields(const struct zt_event *e, const struct zt_match *note, zt_field_fn fn, void *ctx);

/* "-ENOMSG", "0", or "-123" for errnos without a name. */
const char *zt_errname(int ret, char *buf, size_t len);

#endif
