// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "service.h"
#include "text.h"

int zt_notify(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[1024];
	size_t n;
	va_list ap;
	int fd, err = 0;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path))
		return 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(path);
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@') /* the abstract namespace */
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
		err = -errno;
	close(fd);
	return err;
}

uint64_t zt_watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	char *end;
	unsigned long long v;

	if (!usec || (pid && strtol(pid, NULL, 10) != getpid()))
		return 0;
	v = strtoull(usec, &end, 10);
	return *end ? 0 : v;
}

void zt_service_status(const struct zt_snapshot *s, const struct zt_output_state *out, char *buf, size_t len)
{
	const struct zt_corr *c = s->corr;
	int attached = 0, pending = 0, open = 0, used;
	char when[32];
	uint64_t lost = 0;

	for (int i = 0; s->run && i < s->run->nhooks; i++) {
		attached += !strcmp(s->run->hooks[i].mode, "fentry") || !strcmp(s->run->hooks[i].mode, "kprobe");
		pending += !strcmp(s->run->hooks[i].mode, "pending");
	}
	for (size_t i = 0; i < c->nfns; i++)
		open += c->fns[i].mediated;
	for (int i = 0; i < ZT_NR_LOSSES; i++)
		lost += s->losses.n[i];
	used = snprintf(buf, len, "tracing: %d hooks, %d pending; %zu functions, %d open; %llu errors, %llu dropped, "
		       "%llu lost, %llu discarded; %llu events not seen", attached, pending, c->nfns, open,
		       (unsigned long long)c->total[ZT_C_ARRIVED], (unsigned long long)c->total[ZT_C_DROPPED_FULL],
		       (unsigned long long)c->total[ZT_C_LOST_EFAULT], (unsigned long long)c->total[ZT_C_DISCARDED],
		       (unsigned long long)lost);
	if (!out || !out->what || used < 0 || (size_t)used >= len)
		return;
	if (out->err)
		snprintf(buf + used, len - (size_t)used, "; %s NOT written: %s", out->what, strerror(-out->err));
	else if (out->written_ns)
		snprintf(buf + used, len - (size_t)used, "; %s written at %.8s UTC", out->what,
			 zt_wall_time(out->written_ns, s->run ? s->run->realtime_off : 0, when, sizeof(when)));
}
