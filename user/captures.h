/* SPDX-License-Identifier: GPL-2.0 */
/* What a report reads: files ('-' is stdin), each plain, gzip or zstd (known by its first bytes), each holding
 * one capture or several one after another (a cat of a rotated set). The captures are grouped into runs and each
 * run's joined in time order into one capture, as if one file had held the run. */
#ifndef ZPCITRACE_CAPTURES_H
#define ZPCITRACE_CAPTURES_H

#include <stdbool.h>
#include <stddef.h>
#include "capture.h"

/* a file's bytes, uncompressed */
struct zt_capture_bytes {
	char *buf;
	size_t len;
	bool live;   /* a recorder holds it locked (zt_capture_writer_publish): still being recorded */
	bool shrank; /* it was cut while it was read: what was there when it was opened is read */
};

/* read path ('-': stdin) whole, uncompressed. A path must name a regular file (refused without blocking
 * otherwise); stdin may be anything. 0, or -1 with a one-line reason in err */
int zt_capture_load(const char *path, struct zt_capture_bytes *b, char *err, size_t errlen);

/* one run: its captures as one. files: their names in time order, for messages ("a.2, a.1, a") */
struct zt_capture_run {
	struct zt_capture c;
	char files[512];
	size_t nparts;
	uint64_t missing_files; /* a recorder's files between two of those read: their events are not read */
};

struct zt_capture_set {
	struct zt_capture_run *runs; /* in time order */
	size_t nruns;
};

/* Read every file and group what they hold into runs: the same run_id (2.6), else the same host, kernel and
 * clock offset (taken once a run). A run's captures are joined in time order: a rotated file's queues read at
 * its start are known from the file before it and not counted again; the trailers' losses add up (a flight
 * recorder's dumps each count the run's, the newest is taken). Two captures of one run that overlap in time
 * (one file given twice) are refused. 0, or -1 with "FILE: reason" in err */
int zt_capture_set_read(const char *const *files, size_t nfiles, struct zt_capture_set *s, char *err,
			size_t errlen);
void zt_capture_set_free(struct zt_capture_set *s);

#endif
