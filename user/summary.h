/* SPDX-License-Identifier: GPL-2.0 */
/* The summary sink: totals, the per-function table, latency quantiles and histograms per PEC and per
 * function, at exit and every -i interval; as text or as one JSON object, of a snapshot (snapshot.h). */
#ifndef ZPCITRACE_SUMMARY_H
#define ZPCITRACE_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "hooks.h"
#include "snapshot.h"

void zt_summary_text(const struct zt_snapshot *s, FILE *out);
/* "<prefix>hook FUNC ROLE MODE [module]" lines */
void zt_print_hooks(const struct zt_hook_state *hooks, int n, const char *prefix, FILE *out);
void zt_summary_json(const struct zt_snapshot *s, FILE *out);
/* -j's first line (live, and report --events): the run's facts, once, with the schema's version and the clock
 * offset that puts each event's ts_ns on the wall clock */
void zt_start_json(const struct zt_run *r, FILE *out);
/* every sink's end, each calling it alike: the summary, as text on stderr (or -j: JSON on stdout); a failed
 * stdout is an error (-errno), said */
int zt_summary_end(const struct zt_snapshot *snap, bool json);

#endif
