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
#include <linux/types.h>
#include "summary.h"
#include "zpcitrace.h"

#define ZT_CAPTURE_FORMAT "zpcitrace-capture"
#define ZT_CAPTURE_MAJOR 2
#define ZT_CAPTURE_MINOR 1

struct zt_capture_meta {
	char hostname[64], kernel[128], machine[65], btf[256], zpcitrace[64];
	long long realtime_off;
	bool derived;
	struct zt_hook_state hooks[ZT_NR_HOOKS];
	char hook_mode[ZT_NR_HOOKS][16], hook_func[ZT_NR_HOOKS][40], hook_module[ZT_NR_HOOKS][40];
	int nhooks;
};

/* ---- writing ---------------------------------------------------------------------------------------- */

struct zt_capw {
	int fd;
	char *buf;
	size_t len, cap;
	uint64_t events;
	int err;       /* first write error (-errno), kept */
	long long time_sec; /* the wall-clock second whose "HH:MM:SS." is in time_hms: lines come in order */
	char time_hms[16];
};

/* open (create or truncate, never through a symlink) */
int zt_capw_open(struct zt_capw *w, const char *path);
/* open a temporary file beside path, for zt_capw_commit */
int zt_capw_open_tmp(struct zt_capw *w, const char *path, char *tmp, size_t tmplen);
void zt_capw_header(struct zt_capw *w, const struct zt_capture_meta *m, unsigned flight_recorder);
void zt_capw_event(struct zt_capw *w, const struct zt_event *e, long long realtime_off);
/* the trailer: s gives the end time, the ring buffer's losses, hooks and function identities */
void zt_capw_trailer(struct zt_capw *w, const struct zt_summary *s, const char *reason, uint64_t overwritten);
/* write out buffered whole lines */
int zt_capw_flush(struct zt_capw *w);
int zt_capw_close(struct zt_capw *w);
/* flush, fsync, close, rename tmp over path */
int zt_capw_commit(struct zt_capw *w, const char *tmp, const char *path);

/* ---- reading ---------------------------------------------------------------------------------------- */

struct zt_capture_fn_ident {
	uint32_t fid;
	struct zt_ident id;
};

struct zt_capture {
	struct zt_capture_meta meta;
	int major, minor;
	struct zt_event *events;
	size_t nevents, capevents;
	size_t skipped_unknown;   /* events of a kind this version does not know (newer minor) */
	bool has_trailer;
	char reason[32];
	uint64_t ended_ns, ringbuf_lost, overwritten;
	uint64_t unwritten; /* 1.x trailers: events whose line could not be formatted */
	struct zt_capture_fn_ident *idents;
	size_t nidents;
	size_t cut_bytes;         /* a partial last line (the writer was killed): ignored */
	size_t lines;
};

/* Read a capture from memory / a file. 0, or -1 with a one-line reason in err (corrupt, foreign, future). */
int zt_capture_parse(const char *buf, size_t len, struct zt_capture *c, char *err, size_t errlen);
int zt_capture_read(const char *path, struct zt_capture *c, char *err, size_t errlen);
void zt_capture_free(struct zt_capture *c);
/* identity of a function from the trailer */
void zt_capture_ident(const struct zt_capture *c, const struct zt_fn *f, struct zt_ident *id);

#endif
