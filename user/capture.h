/* SPDX-License-Identifier: GPL-2.0 */
/* Post-mortem captures: JSON Lines, docs/capture.md. A header line, one line per event (its name, time and
 * function for people; "rec", the record itself, and the raw 32-byte CCDF as hex), and a trailer with the loss
 * counters. 1.x captures (the -j fields, "rec" as an object) still read.
 * Lines are written whole, so a file cut by kill -9 or a full disk reads back to its last complete line. */
#ifndef ZPCITRACE_CAPTURE_H
#define ZPCITRACE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "atomic.h"
#include "owner.h"
#include "snapshot.h"
#include "zt_event.h"

#define ZT_CAPTURE_FORMAT "zpcitrace-capture"
#define ZT_CAPTURE_MAJOR 2
#define ZT_CAPTURE_MINOR 6
/* the longest line the format allows: the header and every event line (refused unread beyond) */
#define ZT_CAPTURE_LINE_MAX 4096
/* the trailer's: it names the functions, as many as fit (the rest counted as "functions_omitted") */
#define ZT_CAPTURE_TRAILER_MAX (1024 * 1024)
#define ZT_CAPTURE_TRAILER_PREFIX "{\"trailer\":true"

/* ---- writing ---------------------------------------------------------------------------------------- */

struct zt_capture_writer {
	struct zt_out out;
	int fd;
	char *buf;
	size_t len, cap;
	/* each event handed to the writer is in buf, in the file as a whole line, or lost to a failed write (the file
	 * was cut back to its last whole line) */
	uint64_t buffered, written, unwritten;
	off_t whole;        /* the file's length in whole lines */
	bool seekable;      /* a regular file: a short write can be cut back */
	bool dead;          /* a short write that could not be cut back (a pipe): nothing more is written */
	int err;            /* first write error (-errno), kept */
	int last_err;       /* the newest write's error, 0 once writes work again */
	long long time_sec; /* the wall-clock second whose "HH:MM:SS." is in time_hms: lines come in order */
	char time_hms[16];
	char comm_raw[ZT_COMM_LEN]; /* the last event's comm, and its escaped form ("COMM",) of comm_len bytes */
	char comm_json[ZT_COMM_LEN * 6 + 4];
	size_t comm_len;
	/* zt_capture_writer_background: a thread writes one full batch while the next is formatted. While it
	 * writes, it alone touches whole, written, unwritten, err, last_err and dead; read them after a flush */
	bool background;
	struct zt_capw_thread *bg;
	uint64_t run_file; /* the header's run_file: a recorder's files are numbered from 1 (0: not said) */
};

/* what the writer knew when zt_capture_writer_send handed a batch over: the batches before it, all written */
struct zt_capture_progress {
	int last_err;
	bool dead;
	uint64_t unwritten;
	off_t whole; /* the file's length once the batch handed over is written too */
};

/* open path under the output rule (atomic.h): a temporary file until zt_capture_writer_publish or zt_capture_writer_close.
 * 0, or -errno with a one-line reason in why */
int zt_capture_writer_open(struct zt_capture_writer *w, const char *path, char *why, size_t whylen);
/* write to fd, which stays the caller's (a benchmark's /dev/null) */
int zt_capture_writer_open_fd(struct zt_capture_writer *w, int fd);
/* a capture: flush what is buffered (the header) and rename it into place, to be written on */
int zt_capture_writer_publish(struct zt_capture_writer *w);
void zt_capture_writer_header(struct zt_capture_writer *w, const struct zt_run *m, unsigned flight_recorder);
void zt_capture_writer_event(struct zt_capture_writer *w, const struct zt_event *e, long long realtime_off);
/* the same with the device's owner (an open, a queue read at start); o NULL or pid 0: as above */
void zt_capture_writer_event_owner(struct zt_capture_writer *w, const struct zt_event *e, long long realtime_off,
				   const struct zt_owner *o);
/* a flight-recorder dump's events before its first: in no dump (overwritten), in earlier dumps; and the dumps the
 * run held back so far */
struct zt_capture_flight {
	uint64_t overwritten, earlier, held_back;
};
/* the trailer: s gives the end time, the ring buffer's losses, hooks and function identities; flight: a dump's
 * (NULL for a capture) */
void zt_capture_writer_trailer(struct zt_capture_writer *w, const struct zt_snapshot *s, const char *reason,
			       const struct zt_capture_flight *flight);
/* write out buffered whole lines: the newest write's error, 0 once writes work again (the first stays in err) */
int zt_capture_writer_flush(struct zt_capture_writer *w);
/* write full batches and zt_capture_writer_send's from a thread of the writer's own (started with the first
 * batch; if it cannot start, the writes stay in the caller), so that formatting and writing overlap. Flush,
 * trailer and close still return with everything written */
void zt_capture_writer_background(struct zt_capture_writer *w);
/* hand the buffered lines over to be written (in the background, after the batch before them; without a thread,
 * as flush): what the writes before them came to, in p, and its last_err */
int zt_capture_writer_send(struct zt_capture_writer *w, struct zt_capture_progress *p);
/* flush and finish: a published capture keeps its whole lines; an unpublished file (a flight-recorder dump) is
 * renamed into place only if every write succeeded, else removed. The first write error, or 0 */
int zt_capture_writer_close(struct zt_capture_writer *w);

/* ---- the files of a capture: FILE, FILE.1, FILE.2, ... ---------------------------------------------------- */

/* the highest N of the FILE.N that exist (0: none), and how many there are */
unsigned long zt_capture_highest_index(const char *path, unsigned long *count);
/* a FILE that exists is never replaced: moved to FILE.(highest + 1). 0 (also when there is none), or -errno
 * with a one-line reason in why */
int zt_capture_keep_existing(const char *path, char *why, size_t whylen);

/* ---- reading ---------------------------------------------------------------------------------------- */

struct zt_capture_fn_ident {
	uint32_t fid;
	struct zt_ident id;
};

/* an event line's owner (2.6): of c->events[event] */
struct zt_capture_owner {
	size_t event;
	struct zt_owner owner;
};

struct zt_capture {
	struct zt_run meta;
	int major, minor;
	struct zt_event *events;
	size_t nevents, capevents;
	bool has_trailer;
	char reason[32];
	uint64_t ended_ns;
	struct zt_losses losses; /* the trailer's; 0 for a loss newer than the capture (facts.h) */
	struct zt_capture_gaps gaps; /* what it lacks: damaged lines are skipped and counted, never fatal */
	struct zt_capture_fn_ident *idents; /* sorted by fid */
	size_t nidents;
	size_t lines;
	uint64_t run_file;        /* the header's (2.6): which of its recorder's files, from 1; 0 unknown */
	struct zt_capture_owner *owners; /* in the order of their events */
	size_t nowners, capowners;
	uint64_t flight_recorder; /* the header's: a flight recorder's dump (its ring's size), else 0 */
};

/* Read a capture from memory / a file (a regular file: anything else is refused without blocking). Whole lines
 * that do not read are skipped and counted in gaps. 0, or -1 with a one-line reason in err (no header: not a
 * capture, a foreign or future format, out of memory). */
int zt_capture_parse(const char *buf, size_t len, struct zt_capture *c, char *err, size_t errlen);
/* the first capture in buf, up to the next capture's header line (several one after another: a cat of a
 * rotated set); *used: the bytes it spans. 0, or -1 with a reason as zt_capture_parse */
int zt_capture_parse_next(const char *buf, size_t len, size_t *used, struct zt_capture *c, char *err, size_t errlen);
int zt_capture_read(const char *path, struct zt_capture *c, char *err, size_t errlen);
void zt_capture_free(struct zt_capture *c);
/* the order of identities (by fid), as c->idents is sorted */
int zt_capture_ident_cmp(const void *a, const void *b);
/* a capture copied or moved (its struct, not its arrays): its hooks point into the new place again */
void zt_capture_moved(struct zt_capture *c);
/* identity of a function from the trailer */
void zt_capture_ident(const struct zt_capture *c, const struct zt_fn *f, struct zt_ident *id);
/* the snapshot a capture's run ends with: its facts (losses, hooks, uAPI, identities, gaps) over corr, which the
 * caller fed; the observation ends at now_ns. The one place a capture becomes what every output reads */
void zt_capture_snapshot(const struct zt_capture *c, struct zt_corr *corr, uint64_t now_ns, struct zt_snapshot *s);

#endif
