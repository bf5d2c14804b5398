// SPDX-License-Identifier: GPL-2.0
/* The start watchdog is a child process, not a thread: the start stays single-threaded, so no munmap of libbpf's
 * BTF parsing has to flush another CPU's TLB (a cross-CPU flush stops every vCPU under TCG). Whether that was what
 * made the guest's slow starts (2.4-5.9 s in the objects' load against 0.8-1.8 s) is not settled: after the change
 * one run of 10 rounds on Debian's kernel had none, a later one on the JIT kernel had one of 10. The child shares
 * one page with the start: the stage's text and whether the start is over. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "service.h"
#include "startwatch.h"

#define STAGE_MAX 192

struct watched {
	volatile unsigned int seq; /* odd while the stage is being written */
	volatile int over;
	char stage[STAGE_MAX];
};

static struct watched *shared;
static pid_t watchdog = -1;

static unsigned long long mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* a copy of the stage that was not being written meanwhile */
static void read_stage(char *out)
{
	for (int tries = 0; tries < 100; tries++) {
		unsigned int seq = shared->seq;

		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		memcpy(out, shared->stage, STAGE_MAX);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (!(seq & 1) && seq == shared->seq)
			break;
		usleep(1000);
	}
	out[STAGE_MAX - 1] = '\0';
}

_Noreturn static void watch(const char *prefix, unsigned int interval_s, pid_t parent)
{
	char stage[STAGE_MAX];

	/* the start's terminal signals are the start's: it says where it was interrupted */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	/* gone with the start, however it ends */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(0);
	/* by the clock, not by counting sleeps: on a busy machine each sleep lasts longer than asked */
	for (unsigned long long t0 = mono_s(), next = interval_s; !shared->over;) {
		usleep(100 * 1000);
		unsigned long long s = mono_s() - t0;

		if (shared->over || s < next)
			continue;
		read_stage(stage);
		/* a slow start under systemd: time for three more reports (the unit has NotifyAccess=all). Sent before
		 * the line: the start's end kills this process at any point after it */
		zt_notify("EXTEND_TIMEOUT_USEC=%llu\nSTATUS=starting for %llu s: %s",
			  (unsigned long long)interval_s * 3 * 1000000ull, s, stage);
		dprintf(STDERR_FILENO, "%s: still starting after %llu s: %s\n", prefix, s, stage);
		next = s + interval_s;
	}
	_exit(0); /* not exit: the stdio buffers copied at the fork are the start's to flush */
}

int zt_startwatch_begin(const char *prefix, unsigned int interval_s)
{
	pid_t parent = getpid();

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		shared = NULL;
		return -errno;
	}
	strcpy(shared->stage, "starting");
	fflush(NULL); /* nothing buffered twice */
	watchdog = fork();
	if (watchdog == 0)
		watch(prefix, interval_s, parent);
	if (watchdog < 0) {
		int err = -errno;

		munmap(shared, sizeof(*shared));
		shared = NULL;
		return err;
	}
	return 0;
}

void zt_startwatch_stage(const char *stage)
{
	zt_notify("STATUS=starting: %s", stage);
	if (!shared)
		return;
	shared->seq++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	snprintf(shared->stage, STAGE_MAX, "%s", stage);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	shared->seq++;
}

void zt_startwatch_end(void)
{
	if (!shared)
		return;
	shared->over = 1;
	if (watchdog > 0) {
		kill(watchdog, SIGKILL);
		while (waitpid(watchdog, NULL, 0) < 0 && errno == EINTR)
			;
	}
	munmap((void *)shared, sizeof(*shared));
	shared = NULL;
	watchdog = -1;
}
