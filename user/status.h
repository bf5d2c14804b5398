/* SPDX-License-Identifier: GPL-2.0 */
/* zpcitrace status: every zPCI function's error queue as it is now (read_queues' events), as text or JSON. */
#ifndef ZPCITRACE_STATUS_H
#define ZPCITRACE_STATUS_H

#include <stdio.h>
#include "correlate.h"
#include "snapshot.h"
#include "zt_event.h"

/* a snapshot cannot see what a consumer does: the exporter, which watches all along, judged it (its textfile's
 * zpcitrace_consumer_state), and status shows that judgement with its age */
#define ZT_STATUS_EXPORTER_FILE "/var/lib/prometheus/node-exporter/zpcitrace.prom"
#define ZT_STATUS_EXPORTER_MAX_AGE_S 300

struct zt_status_consumer {
	uint32_t fid;
	int state; /* enum zt_consumer */
};

struct zt_status {
	struct zt_event *ev; /* ZT_EV_QUEUE, each followed by its ZT_EV_QUEUED entries */
	size_t n, cap;
	struct zt_status_consumer *cons; /* from the exporter's textfile, when it is fresh */
	size_t ncons;
	bool cons_read;                  /* the textfile was read and is fresh */
	long long cons_age_s;
	char cons_why[320];              /* why there is no judgement (no textfile, too old) */
};

/* keep a read_queues event; -ENOMEM when memory ran out */
int zt_status_add(struct zt_status *st, const struct zt_event *e);
/* the exporter's judgement of each consumer, from its textfile at path, as of now (Unix time): cons or cons_why.
 * -ENOMEM only when memory ran out */
int zt_status_read_consumers(struct zt_status *st, const char *path, long long now);
/* ident (may be NULL): uid and pchid of each function; corr (may be NULL): the correlator the events fed, with
 * each open function's owner */
void zt_status_text(const struct zt_status *st, zt_ident_fn ident, struct zt_corr *corr, FILE *out);
void zt_status_json(const struct zt_status *st, zt_ident_fn ident, struct zt_corr *corr, FILE *out);
void zt_status_free(struct zt_status *st);

#endif
