/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line values shared by zpcitrace's parsers (live, record, report). */
#ifndef ZPCITRACE_ARGS_H
#define ZPCITRACE_ARGS_H

#include <stdint.h>

/* a function id: decimal or 0x hex, 0 to 0xffffffff; 0 or -1 */
int zt_parse_fid(const char *arg, uint32_t *fid);
/* a whole number from 1 to max; 0 or -1 */
int zt_parse_count(const char *arg, unsigned long max, unsigned long *out);

#endif
