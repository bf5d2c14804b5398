// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/vfio.h>
#include "ccdf.h"
#include "format.h"
#include "pec.h"

#define FEATURE_MASK 0xffffu

enum zt_feature_kind zt_feature_kind(const struct zt_event *e)
{
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

/* appends to buf at *pos, never past len; *pos keeps counting like snprintf */
__attribute__((format(printf, 4, 5))) static void add(char *buf, size_t len, int *pos, const char *fmt, ...)
{
	va_list ap;
	size_t at = (size_t)*pos < len ? (size_t)*pos : len;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += n;
}

static void add_pec(char *buf, size_t len, int *pos, uint16_t pec)
{
	const char *name = zt_pec_name(pec);

	add(buf, len, pos, " pec=0x%04x", pec);
	if (name)
		add(buf, len, pos, "/%s", name);
}

int zt_format_event(const struct zt_event *e, const struct zt_format_opts *o, char *buf, size_t len)
{
	struct zt_ccdf c;
	char err[32];
	int pos = 0;

	if (len)
		buf[0] = 0;
	if (o->timestamp) {
		long long wall = (long long)e->ts_ns + o->realtime_off;
		time_t secs = (time_t)(wall / 1000000000LL);
		struct tm tm;

		gmtime_r(&secs, &tm);
		add(buf, len, &pos, "%02d:%02d:%02d.%06lld ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		    (wall % 1000000000LL) / 1000);
	}
	add(buf, len, &pos, "%-8s", zt_event_name(e));
	if (e->has_fn)
		add(buf, len, &pos, " fid=0x%08x fh=0x%08x", e->fid, e->fh);
	if (e->has_pci)
		add(buf, len, &pos, " pci=%04x:%02x:%02x.%x", e->pci_domain, e->pci_bus, e->pci_devfn >> 3,
		    e->pci_devfn & 7);
	switch (e->type) {
	case ZT_EV_FEATURE:
		if (zt_feature_kind(e) == ZT_FEATURE_OTHER)
			add(buf, len, &pos, " flags=0x%x", e->flags);
		add(buf, len, &pos, " rc=%s", zt_errname(e->ret, err, sizeof(err)));
		if (e->v12)
			add_pec(buf, len, &pos, e->v12_pec);
		break;
	case ZT_EV_ENQUEUE:
		add(buf, len, &pos, " result=%s", zt_enqueue_result_name(e->result));
		break;
	case ZT_EV_NOTIFY: {
		const char *state = zt_channel_state_name(e->state);

		if (state)
			add(buf, len, &pos, " state=%s", state);
		else
			add(buf, len, &pos, " state=%u", e->state);
		break;
	}
	case ZT_EV_RESET:
		add(buf, len, &pos, " rc=%s", zt_errname(e->ret, err, sizeof(err)));
		break;
	case ZT_EV_CLOSE:
		add(buf, len, &pos, " discarded=%u", e->discarded);
		break;
	}
	if (e->has_slot)
		add(buf, len, &pos, " slot=%u", e->slot);
	if (e->has_ccdf) {
		zt_ccdf_decode(e->ccdf, &c);
		add_pec(buf, len, &pos, c.pec);
		if (e->type != ZT_EV_AVAIL)
			add(buf, len, &pos, " faddr=0x%llx", (unsigned long long)c.faddr);
		if (e->type == ZT_EV_ARRIVAL)
			add(buf, len, &pos, " q=%u rw=%u mvn=%u", c.q, c.rw, c.mvn);
	}
	if (e->type == ZT_EV_ENQUEUE)
		add(buf, len, &pos, " via=%s", e->derived ? "queue-state" : "store-hook");
	if (zt_dequeue_lost(e))
		add(buf, len, &pos, " lost=1");
	if (e->q_valid)
		add(buf, len, &pos, " queue=%u head=%u tail=%u mr=%u", e->q_count, e->q_head, e->q_tail, e->q_mr);
	add(buf, len, &pos, " cpu=%u pid=%u comm=%.*s", e->cpu, e->pid, ZT_COMM_LEN, e->comm);
	return pos;
}
