// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "atomic.h"

int zt_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ENOSPC;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* the mode a new output gets: what the umask leaves of 0666, and no more than an existing target's (a 0600 capture
 * stays 0600). Captures hold the host's PCI topology: the operator's umask decides who reads them */
static mode_t output_mode(const struct stat *existing)
{
	mode_t mask = umask(0);

	umask(mask);
	return (0666 & ~mask) & (existing ? existing->st_mode & 0666 : 0666);
}

/* a new ".NAME.XXXXXX" beside path (O_EXCL: never through a symlink; a dot file, so node_exporter's *.prom glob
 * skips it) with the given mode; its name in tmp. The fd, or -errno */
static int atomic_open(const char *path, mode_t mode, char *tmp, size_t tmplen)
{
	char *d = strdup(path), *b = strdup(path);
	int fd, err;

	if (!d || !b) {
		free(d);
		free(b);
		return -ENOMEM;
	}
	snprintf(tmp, tmplen, "%s/.%s.XXXXXX", dirname(d), basename(b));
	free(d);
	free(b);
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode)) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	return fd;
}

/* fsync and close fd, rename tmp over path (over a symlink too, not through it), fsync the directory so the
 * rename survives a crash. On failure tmp is removed. 0 or -errno */
static int atomic_commit(int fd, const char *tmp, const char *path)
{
	int err = fsync(fd) ? -errno : 0, dfd;
	char *d;

	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	d = strdup(path);
	dfd = d ? open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(d);
	return 0;
}

bool zt_out_is_stdout(const char *path)
{
	return !strcmp(path, "-") || !strcmp(path, "/dev/stdout") || !strcmp(path, "/dev/fd/1") ||
	       !strcmp(path, "/proc/self/fd/1");
}

/* a link into /proc (/dev/stderr, /proc/self/fd/N) or to anything but a regular file names a descriptor, a
 * terminal or a pipe: replacing the link would replace a system file, writing through it is not a file's write */
static bool link_to_descriptor(const char *path)
{
	char target[16] = "";
	struct stat st;
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n > 0)
		target[n] = 0;
	if (!strncmp(target, "/proc/", 6) || !strncmp(target, "/dev/fd/", 8))
		return true;
	return !stat(path, &st) && !S_ISREG(st.st_mode);
}

bool zt_same_file(const char *path, const char *input)
{
	struct stat out_l, out_s, in;

	return input && strcmp(input, "-") && !stat(input, &in) && !lstat(path, &out_l) &&
	       ((out_l.st_dev == in.st_dev && out_l.st_ino == in.st_ino) ||
		(!stat(path, &out_s) && out_s.st_dev == in.st_dev && out_s.st_ino == in.st_ino));
}

int zt_out_open(struct zt_out *o, const char *path, const char *input, char *why, size_t whylen)
{
	struct stat out_l;
	bool exists;
	int fd;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->path = path;
	if (!*path) {
		snprintf(why, whylen, "an empty file name");
		return -EINVAL;
	}
	if (zt_out_is_stdout(path)) {
		o->fd = STDOUT_FILENO;
		o->is_stdout = true;
		return 0;
	}
	if (!strncmp(path, "/proc/", 6) || !strncmp(path, "/dev/fd/", 8) ||
	    (!lstat(path, &out_l) && S_ISLNK(out_l.st_mode) && link_to_descriptor(path))) {
		snprintf(why, whylen, "%s is a descriptor, a terminal or a pipe, not a file: give '-' for stdout", path);
		return -EINVAL;
	}
	exists = !lstat(path, &out_l);
	if (exists) {
		if (zt_same_file(path, input)) {
			snprintf(why, whylen, "%s is the input: refusing to write over it", path);
			return -EEXIST;
		}
		if (!S_ISREG(out_l.st_mode) && !S_ISLNK(out_l.st_mode)) {
			snprintf(why, whylen, "%s exists and is not a regular file: refusing to replace it", path);
			return -EINVAL;
		}
	}
	fd = atomic_open(path, output_mode(exists && S_ISREG(out_l.st_mode) ? &out_l : NULL), o->tmp, sizeof(o->tmp));
	if (fd < 0) {
		snprintf(why, whylen, "cannot write %s: %s", path, strerror(-fd));
		return fd;
	}
	o->fd = fd;
	return 0;
}

/* the temporary file an interrupted program leaves: removed by the handler, which then dies of the signal */
static volatile sig_atomic_t cleanup_armed;
static char cleanup_tmp[4096];

static void cleanup_on_signal(int sig)
{
	if (cleanup_armed)
		unlink(cleanup_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

void zt_out_remove_on_signal(struct zt_out *o)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = cleanup_on_signal };

	cleanup_armed = 0;
	if (!o || o->is_stdout)
		return;
	snprintf(cleanup_tmp, sizeof(cleanup_tmp), "%s", o->tmp);
	cleanup_armed = 1;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

int zt_out_publish(struct zt_out *o)
{
	if (o->is_stdout || o->published)
		return 0;
	if (rename(o->tmp, o->path))
		return -errno;
	o->published = true;
	return 0;
}

void zt_out_abort(struct zt_out *o)
{
	if (o->fd >= 0 && !o->is_stdout) {
		close(o->fd);
		if (!o->published)
			unlink(o->tmp);
	}
	o->fd = -1;
}

int zt_out_commit(struct zt_out *o, int write_err)
{
	int err = write_err, dfd;
	char *d;

	if (o->is_stdout) {
		o->fd = -1;
		return err;
	}
	if (err) {
		zt_out_abort(o);
		return err;
	}
	if (!o->published)
		return atomic_commit(o->fd, o->tmp, o->path);
	err = fsync(o->fd) ? -errno : 0;
	if (close(o->fd) && !err)
		err = -errno;
	o->fd = -1;
	d = strdup(o->path);
	dfd = d ? open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(d);
	return err;
}
