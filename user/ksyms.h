/* SPDX-License-Identifier: GPL-2.0 */
/* Which kernel functions exist: the answer decides which hooks zpcitrace attaches. */
#ifndef ZPCITRACE_KSYMS_H
#define ZPCITRACE_KSYMS_H

#include <stdbool.h>

struct zt_ksym_query {
	const char *name;  /* function name as in the source */
	bool found;        /* set by zt_ksyms_scan: a text symbol of that name exists (module ones too) */
	char module[64];   /* set with found: the module it is in, "" when built in */
};

/* Scan a kallsyms-format file (default /proc/kallsyms) for the queried names.
 * Returns 0, or -errno when the file cannot be read. */
int zt_ksyms_scan(const char *path, struct zt_ksym_query *q, int n);

/* The address of built-in symbol name (text or data) in a kallsyms-format file: 0 with *addr set, -ENOENT when
 * absent or shown as 0 (kptr_restrict hides addresses from the unprivileged), -errno when unreadable. */
int zt_ksyms_addr(const char *path, const char *name, unsigned long long *addr);

#endif
