/* SPDX-License-Identifier: GPL-2.0 */
/* The Prometheus sink: the summary's state as a node_exporter textfile (text exposition format). */
#ifndef ZPCITRACE_PROM_H
#define ZPCITRACE_PROM_H

#include <stdio.h>
#include "snapshot.h"

void zt_prom_render(const struct zt_snapshot *s, FILE *out);
/* Write the metrics to path atomically: a temporary file in the same directory (created without following
 * symlinks, mode 0644), fsync, rename over path. Never leaves a partial file at path. Returns 0 or -errno. */
int zt_prom_write(const struct zt_snapshot *s, const char *path, char *why, size_t whylen);

#endif
