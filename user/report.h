/* SPDX-License-Identifier: GPL-2.0 */
/* zpcitrace report FILE: the summary of a capture, on any machine. */
#ifndef ZPCITRACE_REPORT_H
#define ZPCITRACE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* the exit status of a capture whose trailer's count disagrees with its lines (see --help for the others) */
#define ZT_REPORT_EXIT_MISMATCH 4

#define ZT_REPORT_MAX_FILES 4096

struct zt_report_opts {
	const char *files[ZT_REPORT_MAX_FILES]; /* read as captures.h says: a rotated set, '-' for stdin */
	size_t nfiles;
	const char *perfetto, *since_arg, *until_arg;
	bool json, fid_on;
	bool events, no_summary; /* --events: the selected events first; --no-summary: and only them */
	uint32_t fid;
};

/* argv[0] is "zpcitrace report"; returns the exit status (see --help) */
int zt_report_main(int argc, char **argv);
/* the report itself: the summary on out, messages on err; the exit status */
int zt_report_run(const struct zt_report_opts *o, FILE *out, FILE *err);
/* T of --since/--until (see --help) as CLOCK_MONOTONIC ns: +SECONDS from first_ns; a time of day is the one
 * within [from_ns, to_ns] (more than one: an error), else the one nearest it. 0, or -1 with a one-line reason */
int zt_report_time(const char *arg, uint64_t first_ns, uint64_t from_ns, uint64_t to_ns, long long realtime_off,
		   uint64_t *out, char *why, size_t whylen);

#endif
