/* SPDX-License-Identifier: GPL-2.0 */
/* Files replaced whole (the exporter's textfile, flight-recorder dumps): written to a temporary file beside the
 * target and renamed over it, so a reader never sees half a file, even after a crash. */
#ifndef ZPCITRACE_ATOMIC_H
#define ZPCITRACE_ATOMIC_H

#include <stddef.h>

/* all n bytes, across short writes and EINTR; 0 or -errno (-ENOSPC for a write of 0) */
int zt_write_all(int fd, const void *p, size_t n);
/* a new ".NAME.XXXXXX" beside path (O_EXCL: never through a symlink; a dot file, so node_exporter's *.prom
 * glob skips it), mode 0644; its name in tmp. The fd, or -errno */
int zt_atomic_open(const char *path, char *tmp, size_t tmplen);
/* fsync and close fd, rename tmp over path (over a symlink too, not through it), fsync the directory so the
 * rename survives a crash. On failure tmp is removed. 0 or -errno */
int zt_atomic_commit(int fd, const char *tmp, const char *path);

#endif
