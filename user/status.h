/* SPDX-License-Identifier: GPL-2.0 */
/* zpcitrace status: every zPCI function's error queue as it is now (read_queues' events), as text or JSON. */
#ifndef ZPCITRACE_STATUS_H
#define ZPCITRACE_STATUS_H

#include <stdio.h>
#include "correlate.h"
#include "snapshot.h"
#include "zt_event.h"

struct zt_status {
	struct zt_event *ev; /* ZT_EV_QUEUE, each followed by its ZT_EV_QUEUED entries */
	size_t n, cap;
};

/* keep a read_queues event; -ENOMEM when memory ran out */
int zt_status_add(struct zt_status *st, const struct zt_event *e);
/* ident (may be NULL): uid and pchid of each function; corr (may be NULL): the correlator the events fed, with
 * each open function's owner */
void zt_status_text(const struct zt_status *st, zt_ident_fn ident, struct zt_corr *corr, FILE *out);
void zt_status_json(const struct zt_status *st, zt_ident_fn ident, struct zt_corr *corr, FILE *out);
void zt_status_free(struct zt_status *st);

#endif
