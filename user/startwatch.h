/* SPDX-License-Identifier: GPL-2.0 */
/* The start watchdog: while a start lasts, it says every few seconds what the start is doing ("still starting
 * after N s: STAGE"), so that a slow start is never a silent hang. */
#ifndef ZPCITRACE_STARTWATCH_H
#define ZPCITRACE_STARTWATCH_H

/* Start watching: every interval_s seconds of the start, one line on stderr, "PREFIX: still starting after N s:
 * STAGE". Returns 0, or -errno (no watchdog: the start goes on without one). */
int zt_startwatch_begin(const char *prefix, unsigned int interval_s);
/* What the start does now (copied; cut at 191 bytes). A no-op without a watchdog. */
void zt_startwatch_stage(const char *stage);
/* The start is over: the watchdog says nothing more and is gone when this returns. */
void zt_startwatch_end(void);

#endif
