// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
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

int zt_atomic_open(const char *path, char *tmp, size_t tmplen)
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
	if (fchmod(fd, 0644)) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	return fd;
}

int zt_atomic_commit(int fd, const char *tmp, const char *path)
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
