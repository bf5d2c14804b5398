// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <linux/vfio.h>
#include "event.h"

enum zt_feature_kind zt_feature_kind(const struct zt_event *e)
{
	if (e->via_get) /* seen at zpci_get_pending_error: a dequeue, whatever the ioctl's flags were */
		return ZT_FEATURE_DEQUEUE;
	if (e->flags & VFIO_DEVICE_FEATURE_PROBE)
		return ZT_FEATURE_PROBE;
	if (e->flags & VFIO_DEVICE_FEATURE_GET)
		return ZT_FEATURE_DEQUEUE;
	return ZT_FEATURE_OTHER;
}

int zt_dequeue_lost(const struct zt_event *e)
{
	return e->type == ZT_EV_FEATURE && e->get_ret == 0 && e->ret != 0;
}

const char *zt_enqueue_result_name(unsigned int result)
{
	switch (result) {
	case ZT_ENQ_STORED:
		return "stored";
	case ZT_ENQ_DROPPED_FULL:
		return "dropped-full";
	case ZT_ENQ_NOT_STORED:
		return "not-stored";
	}
	return "unknown";
}

const char *zt_channel_state_name(unsigned int state)
{
	switch (state) {
	case 1:
		return "normal";
	case 2:
		return "frozen";
	case 3:
		return "perm_failure";
	}
	return NULL;
}

const char *zt_event_name(const struct zt_event *e)
{
	switch (e->type) {
	case ZT_EV_ARRIVAL:
		return "arrival";
	case ZT_EV_ENQUEUE:
		return "enqueue";
	case ZT_EV_NOTIFY:
		return "notify";
	case ZT_EV_OPEN:
		return "open";
	case ZT_EV_CLOSE:
		return "close";
	case ZT_EV_AVAIL:
		return "avail";
	case ZT_EV_RESET:
		return "reset";
	case ZT_EV_QUEUE:
		return "queue";
	case ZT_EV_QUEUED:
		return "queued";
	case ZT_EV_FEATURE:
		switch (zt_feature_kind(e)) {
		case ZT_FEATURE_PROBE:
			return "probe";
		case ZT_FEATURE_DEQUEUE:
			return "dequeue";
		default:
			return "feature";
		}
	}
	return "unknown";
}

const char *zt_errname(int ret, char *buf, size_t len)
{
	const char *name = ret < 0 ? strerrorname_np(-ret) : NULL;

	if (name)
		snprintf(buf, len, "-%s", name);
	else
		snprintf(buf, len, "%d", ret);
	return buf;
}
