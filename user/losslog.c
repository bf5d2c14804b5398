// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ccdf.h"
#include "event.h"
#include "losslog.h"
#include "pec.h"
#include "snapshot.h"
#include "text.h"

void zt_losslog_init(struct zt_losslog *l, FILE *out, bool journal, uint64_t unread_s)
{
	*l = (struct zt_losslog){ .out = out, .journal = journal, .unread_ns = unread_s * 1000000000ull };
}

/* the minute's count of lines held back, once it is over */
static void held_back(struct zt_losslog *l)
{
	if (!l->held_back)
		return;
	fprintf(l->out, "%szpcitrace: %llu more loss lines held back in the last %d s (the metrics and the summary "
		"count every error)\n", l->journal ? "<4>" : "", (unsigned long long)l->held_back, ZT_LOSSLOG_WINDOW_S);
	l->held_back = 0;
}

/* a line may be printed now: at most ZT_LOSSLOG_BURST a minute */
static bool room(struct zt_losslog *l, uint64_t now_ns)
{
	if (!l->window_ns || now_ns - l->window_ns >= ZT_LOSSLOG_WINDOW_S * 1000000000ull) {
		held_back(l);
		l->window_ns = now_ns ? now_ns : 1;
		l->said = 0;
	}
	if (l->said >= ZT_LOSSLOG_BURST) {
		l->held_back++;
		l->held_total++;
		return false;
	}
	l->said++;
	l->lines++;
	return true;
}

/* key=value (logfmt: quoted where it holds a space, escaped for a terminal) */
static void value(FILE *out, const char *key, const char *v)
{
	char esc[ZT_TEXT_ESCAPED(256)];

	zt_text_escape(v, strlen(v), esc, sizeof(esc));
	fprintf(out, strchr(esc, ' ') || !esc[0] ? " %s=\"%s\"" : " %s=%s", key, esc);
}

/* loss=KIND n=N fid=… pci=… pec=… domain=… pid=… comm=… consumer=…: what it means (runbook: ALERT) */
static void say(struct zt_losslog *l, const struct zt_fn *f, const char *kind, uint64_t n, const char *pec,
		uint64_t now_ns, const char *what, const char *alert)
{
	char pci[32];

	zt_fn_pci_name(f, pci, sizeof(pci));
	fprintf(l->out, "%szpcitrace: loss=%s n=%llu fid=0x%08x pci=%s pec=%s", l->journal ? "<4>" : "", kind,
		(unsigned long long)n, f->fid, pci, pec);
	if (f->owner.pid) {
		value(l->out, "domain", f->owner.domain);
		fprintf(l->out, " pid=%d", f->owner.pid);
		value(l->out, "comm", f->owner.comm);
	} else {
		fprintf(l->out, " owner=unknown");
	}
	fprintf(l->out, " consumer=%s: %s (runbook: %s)\n", zt_consumer_facts[zt_fn_consumer(f, now_ns)].key, what,
		alert);
	fflush(l->out);
}

static void pec_of(const uint8_t *ccdf, bool has, char *buf, size_t len)
{
	struct zt_ccdf c;

	if (!has) {
		snprintf(buf, len, "-");
		return;
	}
	zt_ccdf_decode(ccdf, &c);
	zt_pec_label(c.pec, buf, len);
}

void zt_losslog_event(struct zt_losslog *l, struct zt_corr *c, const struct zt_event *e, uint64_t now_ns)
{
	bool dropped = e->type == ZT_EV_ENQUEUE && e->result == ZT_ENQ_DROPPED_FULL;
	bool lost = e->type == ZT_EV_FEATURE && zt_dequeue_lost(e);
	const struct zt_fn *f;
	char pec[48];

	/* every event passes here: only a loss costs more than these tests */
	if ((!dropped && !lost && (e->type != ZT_EV_CLOSE || !e->discarded)) || !e->has_fn ||
	    !(f = zt_corr_fn(c, e->fid)) || !room(l, now_ns))
		return;
	pec_of(e->ccdf, e->has_ccdf, pec, sizeof(pec));
	if (dropped)
		say(l, f, "dropped", 1, pec, now_ns, "the queue held 4 errors, the kernel dropped this one: the guest "
			"never sees it", "ZpciErrorsDropped");
	else if (lost)
		say(l, f, "lost", 1, pec, now_ns, "taken off the queue, the copy to the VMM failed (-EFAULT): a VMM bug",
		    "ZpciErrorsLost");
	else
		say(l, f, "discarded", e->discarded, "-", now_ns, "still queued when the device closed, discarded "
			"unread", "ZpciErrorsDiscarded");
}

void zt_losslog_tick(struct zt_losslog *l, struct zt_corr *c, uint64_t now_ns)
{
	char pec[48];

	for (size_t i = 0; i < c->nfns; i++)
		for (int s = 0; s < ZT_QUEUE_DEPTH; s++) {
			struct zt_pending *p = &c->fns[i].slot[s];

			if (!zt_fn_slot_pending(&c->fns[i], s) || p->said_unread || now_ns < p->enqueue_ns ||
			    now_ns - p->enqueue_ns < l->unread_ns)
				continue;
			p->said_unread = true;
			if (!room(l, now_ns))
				continue;
			zt_pec_label(p->pec, pec, sizeof(pec));
			say(l, &c->fns[i], "unread", 1, pec, now_ns, "queued this long and not read: the guest does not "
			    "know of it", c->fns[i].owner.pid && zt_fn_consumer(&c->fns[i], now_ns) == ZT_CONS_NEVER_READS
			    ? "ZpciGuestStopped" : "ZpciErrorsUnread");
		}
	if (l->window_ns && now_ns - l->window_ns >= ZT_LOSSLOG_WINDOW_S * 1000000000ull) {
		held_back(l);
		l->window_ns = now_ns;
		l->said = 0;
	}
}

void zt_losslog_end(struct zt_losslog *l)
{
	held_back(l);
}

bool zt_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && !fstat(2, &st) && st.st_dev == dev && st.st_ino == ino;
}
