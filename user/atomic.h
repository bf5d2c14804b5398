/* SPDX-License-Identifier: GPL-2.0 */
/* The one rule for every output file (the capture, flight-recorder dumps, the exporter's textfile, the
 * Perfetto timeline): written to a temporary file beside the target and renamed over it, so a reader never
 * sees half a file, even after a crash; never through a symlink (a link is replaced, its target untouched);
 * never over the input, a directory, a device or a descriptor's link (/dev/stderr); "-" and /dev/stdout are stdout.
 * A write error leaves no partial file. */
#ifndef ZPCITRACE_ATOMIC_H
#define ZPCITRACE_ATOMIC_H

#include <stdbool.h>
#include <stddef.h>

/* "-", and the names of stdout itself (/dev/stdout, /dev/fd/1, /proc/self/fd/1): written through as stdout */
bool zt_out_is_stdout(const char *path);
/* all n bytes, across short writes and EINTR; 0 or -errno (-ENOSPC for a write of 0) */
int zt_write_all(int fd, const void *p, size_t n);
struct zt_out {
	int fd;
	bool is_stdout;
	bool published; /* renamed into place while still being written (a capture) */
	const char *path;
	char tmp[4096];
};

/* Open path for writing under the rule above. input: a file being read (the report's capture) that path must
 * not be, or NULL. 0, or -errno with a one-line reason in why: -EEXIST for the input, -EINVAL for an existing
 * non-regular file, a descriptor's name (/dev/stderr, /proc/self/fd/N: '-' is the way to stdout) or an empty name.
 * The file's mode is what the umask leaves of 0666, never more than an existing target's */
int zt_out_open(struct zt_out *o, const char *path, const char *input, char *why, size_t whylen);
/* path names input (or a link to it); never stdin's "-" */
bool zt_same_file(const char *path, const char *input);
/* rename it into place now and keep writing (a capture: a killed recorder leaves it at path). 0 or -errno */
int zt_out_publish(struct zt_out *o);
/* done: fsync, close, rename into place. With write_err set (or stdout failing), nothing is left at path that
 * was not there, and write_err (or stdout's error) is returned. 0 or -errno */
int zt_out_commit(struct zt_out *o, int write_err);
/* until the next call (NULL: never), SIGINT, SIGTERM and SIGHUP remove o's temporary file before they end the
 * program: for a program that writes one output and has no signal handling of its own (report) */
void zt_out_remove_on_signal(struct zt_out *o);
/* give up: close, remove the temporary file */
void zt_out_abort(struct zt_out *o);

#endif
