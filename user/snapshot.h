/* SPDX-License-Identifier: GPL-2.0 */
/* What every sink is handed: a snapshot of the correlator with the end of the observation, the losses, the
 * hooks, how to name a function, and (a report's) what its capture lacks. */
#ifndef ZPCITRACE_SNAPSHOT_H
#define ZPCITRACE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "correlate.h"
#include "hooks.h"

/* identity of a function as an operator knows it, beyond fid and PCI address (sysfs: uid, pchid) */
struct zt_ident {
	char uid[16], pchid[16];
};
typedef void (*zt_ident_fn)(void *ctx, const struct zt_fn *f, struct zt_ident *id);
/* reads /sys/bus/pci/devices/<pci>/{uid,pchid}; "-" where absent */
void zt_ident_sysfs(void *ctx, const struct zt_fn *f, struct zt_ident *id);

/* The facts of a run: what a capture's header and trailer hold, the live -j's start object, what every summary
 * names (version, hooks and their modes, the uAPI form, derived outcomes, the wall-clock offset). A live run
 * keeps its hooks and uAPI current; a capture's are its trailer's (its header's until then) */
struct zt_run {
	char hostname[64], kernel[128], machine[65], btf[256], zpcitrace[64];
	char run_id[33];             /* random, once a run: its files and dumps share it; "" before capture 2.6 */
	long long realtime_off;      /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns (exporters' timestamps) */
	bool derived;                /* enqueue outcomes derived from the queue state */
	enum zt_uapi uapi;           /* the error feature's uAPI form */
	struct zt_hook_state hooks[ZT_NR_HOOKS];
	char hook_mode[ZT_NR_HOOKS][16], hook_func[ZT_NR_HOOKS][40], hook_module[ZT_NR_HOOKS][40];
	int nhooks;
};

/* what a capture lacks, for its report's summary (text and -j) */
struct zt_capture_gaps {
	bool cut;                    /* no trailer: the recording was killed, or the disk filled */
	uint64_t cut_bytes;          /* a partial last line, ignored */
	uint64_t skipped_lines;      /* damaged lines skipped (whole lines that do not read) */
	uint64_t first_skipped_line; /* the first of them, and why */
	char first_skipped_why[96];
	uint64_t skipped_unknown;    /* events of kinds this version does not know (a newer minor) */
	uint64_t unwritten;          /* events the recorder could not write (a full disk) */
	uint64_t overwritten;        /* flight recorder: events its ring overwrote before the dump */
	uint64_t functions_omitted;  /* functions the trailer could not name */
	uint64_t earlier;            /* flight recorder: events before these that an earlier dump of the run holds */
	uint64_t held_back;          /* flight recorder: dumps the run held back, its -W reached */
	bool live;                   /* no trailer yet: a recorder still holds the file (its lock), nothing is lost */
	bool shrank;                 /* the file was cut while it was read: what was there when opened is read */
	uint64_t event_lines;        /* events read (of known kinds or not) */
	uint64_t trailer_events;     /* the trailer's count of the event lines written, when trailer_events_known */
	bool trailer_events_known;
	bool count_mismatch;         /* the two differ: lines were deleted or repeated since it was written */
	uint64_t captures;           /* the captures of the run read as this one (a rotated set: its files) */
	uint64_t missing_files;      /* a recorder's files between two of those read: their events are missing */
};
/* damaged: the report misses events that happened (overwritten, earlier and unknown kinds are said, not damage;
 * no trailer on a capture still being recorded is not damage) */
bool zt_capture_gaps_damaged(const struct zt_capture_gaps *g);

struct zt_snapshot {
	struct zt_corr *corr;
	uint64_t now_ns;             /* the end of the observation */
	struct zt_losses losses;     /* what the run could not see (bpf/zt_losses.h) */
	const struct zt_run *run;    /* the run's facts; NULL: none known (no hooks, version unknown) */
	bool histograms;             /* log2 histograms too */
	zt_ident_fn ident;           /* may be NULL */
	void *ident_ctx;
	const struct zt_capture_gaps *gaps; /* a report's: what its capture lacks; NULL live */
};

/* identity of f through s->ident, "-" where unknown */
void zt_snapshot_ident(const struct zt_snapshot *s, const struct zt_fn *f, struct zt_ident *id);
/* "0001:00:00.0", or "-" */
void zt_fn_pci_name(const struct zt_fn *f, char *buf, size_t len);

#endif
