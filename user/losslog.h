/* SPDX-License-Identifier: GPL-2.0 */
/* --log-losses: a line on stderr (the journal, under systemd) for each error the guest will never see: dropped
 * because the queue was full, lost after a dequeue (-EFAULT), discarded when the device closed, or unread in the
 * queue for ZT_LOSSLOG_UNREAD_S. Each names the function, its owner and domain, the PEC, what its consumer does
 * and the runbook's alert; at most ZT_LOSSLOG_BURST lines a minute, the rest counted and said. Where dbginfo.sh
 * and sos collect the journal, this is what reaches a support case without Prometheus. */
#ifndef ZPCITRACE_LOSSLOG_H
#define ZPCITRACE_LOSSLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "correlate.h"

#define ZT_LOSSLOG_BURST 10
#define ZT_LOSSLOG_WINDOW_S 60
#define ZT_LOSSLOG_UNREAD_S 300

struct zt_losslog {
	FILE *out;
	bool journal;              /* stderr is the journal (JOURNAL_STREAM): a syslog priority before each line */
	uint64_t unread_ns;        /* an error queued this long is said once */
	uint64_t window_ns;        /* when the current minute began */
	unsigned said;             /* lines in it */
	uint64_t held_back;        /* lines not printed in it */
	uint64_t lines, held_total; /* in all */
};

void zt_losslog_init(struct zt_losslog *l, FILE *out, bool journal, uint64_t unread_s);
/* after the correlator took e (note: what it matched): a line if e lost errors */
void zt_losslog_event(struct zt_losslog *l, struct zt_corr *c, const struct zt_event *e, uint64_t now_ns);
/* errors unread for too long (each said once), and the count of lines held back once the minute is over */
void zt_losslog_tick(struct zt_losslog *l, struct zt_corr *c, uint64_t now_ns);
/* at exit: the lines held back in the last minute */
void zt_losslog_end(struct zt_losslog *l);
/* stderr is the journal: systemd's JOURNAL_STREAM names its device and inode */
bool zt_stderr_is_journal(void);

#endif
