// SPDX-License-Identifier: GPL-2.0
/* storm: how fast zpcitrace's loader takes an error storm, on this host (x86: no kprobes needed).
 * A raw_tp program (storm.bpf.c), run by BPF_PROG_TEST_RUN in one thread, emits zpcitrace's event records
 * for many functions into a ring buffer as fast as it can; the other thread consumes them the way the loader
 * does: polling as the loader does (woken only when the buffer is half full), then either counting them (the producer-only rate) or
 * correlating and recording them (zt_corr_add + zt_capture_writer_event, as 'zpcitrace record').
 *
 * RATE paces the producer: so many records offered a second (in batches of STORM_BATCH), as a kernel's error
 * path would, instead of a core spinning as fast as it goes (which, on a host a build shares, takes its share of
 * the CPU from the consumer; "keeps up at RATE" is this: offered RATE, every record consumed).
 *
 * usage: storm MODE SECONDS NFNS [CAPTURE [RATE]]   MODE: count | correlate | loader (correlate and record) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "capture.h"
#include "correlate.h"
#include "storm.h"
#include "storm.skel.h"

/* the loader's polling (user/zpcitrace.c): every 10 ms while records come, else every 1 s (recording) */
#define BUSY_POLL_MS 10
#define RECORD_POLL_MS 1000

static volatile int producing = 1;
static struct zt_corr corr;
static struct zt_capture_writer capw;
static unsigned long long consumed;
static int loader_mode;
static double last_consumed_at; /* when the consumer last took records: a rate not stretched by its idle poll */
static double now(void);

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	consumed++;
	if (loader_mode && size >= sizeof(struct zt_event)) {
		zt_corr_add(&corr, data, NULL);
		if (loader_mode == 2)
			zt_capture_writer_event(&capw, data, 0);
	}
	return 0;
}

static void *consumer(void *arg)
{
	struct ring_buffer *rb = arg;
	int timeout = -1;

	for (;;) {
		int n = ring_buffer__poll(rb, timeout < 0 ? RECORD_POLL_MS : timeout);

		n = (n > 0 ? n : 0) + ring_buffer__consume(rb);
		if (n > 0)
			last_consumed_at = now();
		if (loader_mode)
			zt_capture_writer_send(&capw, NULL);
		if (!n && !producing)
			break;
		timeout = n > 0 ? BUSY_POLL_MS : -1;
	}
	return NULL;
}

static double thread_cpu(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct storm_bpf *skel;
	struct ring_buffer *rb;
	pthread_t th;
	double secs, t0, t1, t2;

	if (argc < 4) {
		fprintf(stderr, "usage: storm count|correlate|loader SECONDS NFNS [CAPTURE [RATE]]\n");
		return 2;
	}
	double rate = argc > 5 ? atof(argv[5]) : 0;
	loader_mode = !strcmp(argv[1], "loader") ? 2 : !strcmp(argv[1], "correlate") ? 1 : 0;
	secs = atof(argv[2]);
	skel = storm_bpf__open();
	if (!skel)
		return 1;
	skel->rodata->nfns = (unsigned)atoi(argv[3]);
	if (storm_bpf__load(skel)) {
		fprintf(stderr, "storm: cannot load the BPF program: %s\n", strerror(errno));
		return 1;
	}
	zt_corr_init(&corr);
	char why[4200] = "";
	/* /dev/null is no file to replace: written to directly, as a disk would be */
	if (loader_mode && (argc <= 4 || !strcmp(argv[4], "/dev/null")
				    ? zt_capture_writer_open_fd(&capw, open("/dev/null", O_WRONLY | O_CLOEXEC))
				    : zt_capture_writer_open(&capw, argv[4], why, sizeof(why)))) {
		fprintf(stderr, "storm: cannot write the capture %s\n", why);
		return 1;
	}
	if (loader_mode) {
		struct zt_run m = { .hostname = "storm", .machine = "x86_64", .zpcitrace = "bench" };
		zt_capture_writer_header(&capw, &m, 0);
		zt_capture_writer_publish(&capw);
		zt_capture_writer_background(&capw); /* as record's sink: its own thread writes */
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	pthread_create(&th, NULL, consumer, rb);
	int fd = bpf_program__fd(skel->progs.storm);
	t0 = now();
	for (unsigned long long runs = 1; now() - t0 < secs; runs++) {
		LIBBPF_OPTS(bpf_test_run_opts, o);
		if (bpf_prog_test_run_opts(fd, &o)) {
			fprintf(stderr, "storm: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
			return 1;
		}
		if (rate > 0) { /* the next batch when it is due */
			double due = t0 + (double)runs * STORM_BATCH / rate;
			struct timespec ts = { .tv_sec = (time_t)due, .tv_nsec = (long)((due - (double)(time_t)due) * 1e9) };
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
		}
	}
	t1 = now();
	double producer_cpu = thread_cpu();
	producing = 0;
	pthread_join(th, NULL);
	t2 = now();
	/* the loader's CPU: the process's but the producer's (the consumer thread and the capture's writer) */
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double loader_cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
			    ru.ru_stime.tv_usec / 1e6 - producer_cpu;
	unsigned long long produced = skel->bss->produced, drops = skel->bss->drops;
	if (loader_mode) {
		struct zt_snapshot s = { .corr = &corr, .now_ns = 0, .losses.n[ZT_LOSS_RINGBUF] = drops };
		zt_capture_writer_trailer(&capw, &s, "exit", NULL);
		zt_capture_writer_close(&capw);
	}
	printf("mode=%s functions=%s seconds=%.2f offered_per_s=%.0f produced=%llu consumed=%llu ringbuf_drops=%llu "
	       "uncounted=%lld loader_cpu_ns_per_event=%.0f produced_per_s=%.0f consumed_per_s=%.0f matched=%llu\n",
	       argv[1], argv[3], t1 - t0, rate, produced, consumed, drops, (long long)(produced - consumed),
	       consumed ? loader_cpu * 1e9 / (double)consumed : 0.0,
	       produced / (t1 - t0), consumed / ((last_consumed_at > t0 ? last_consumed_at : t2) - t0),
	       loader_mode ? (unsigned long long)(corr.total[ZT_C_DEQUEUED] - corr.unmatched_total) : 0ULL);
	ring_buffer__free(rb);
	storm_bpf__destroy(skel);
	zt_corr_free(&corr);
	return produced == consumed ? 0 : 3;
}
