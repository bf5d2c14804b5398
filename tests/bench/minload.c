// SPDX-License-Identifier: GPL-2.0
/* minload: the floor for zpcitrace's start-up (make bench, docs/performance.md). A minimal libbpf loader of
 * zpcitrace's own BPF object: it loads the programs named on the command line and nothing else, attaches each
 * where its section says, and creates the ring buffer. No probing, no fallback, no kallsyms, no queues.
 *
 * usage: minload PROG...     prints "minload: N programs loaded and attached, ring buffer in T ms" (T from main)
 * With MINLOAD_STATS=1 it also asks the verifier for its statistics and prints, per program, the verification
 * time the kernel measured ("verification time N usec") and the instructions it processed. A program with nowhere to
 * attach (read_queues, which_uapi: zpcitrace runs them) is loaded and verified only; read_queues as zpcitrace
 * loads it, with the address of zpci_list set (any address: the verifier does not look at it). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "zpcitrace.skel.h"

#define MAX_PROGS 32
#define STATS_LOG 1024

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	return 0;
}

int main(int argc, char **argv)
{
	static char logs[MAX_PROGS][STATS_LOG];
	double t0 = mono_ms(), t_load, t_attach;
	struct bpf_program *progs[MAX_PROGS], *p;
	struct bpf_link *links[MAX_PROGS] = { 0 };
	bool stats = getenv("MINLOAD_STATS") && !strcmp(getenv("MINLOAD_STATS"), "1");
	struct zpcitrace_bpf *s;
	struct ring_buffer *rb;
	int n = argc - 1, err = 0;

	if (n < 1 || n > MAX_PROGS) {
		fprintf(stderr, "usage: minload PROG... (1 to %d of zpcitrace's programs)\n", MAX_PROGS);
		return 2;
	}
	s = zpcitrace_bpf__open();
	if (!s) {
		fprintf(stderr, "minload: cannot open the object: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, s->obj)
		bpf_program__set_autoload(p, false);
	for (int i = 0; i < n; i++) {
		progs[i] = bpf_object__find_program_by_name(s->obj, argv[i + 1]);
		if (!progs[i]) {
			fprintf(stderr, "minload: no program %s\n", argv[i + 1]);
			return 2;
		}
		bpf_program__set_autoload(progs[i], true);
		if (progs[i] == s->progs.read_queues)
			s->rodata->zpci_list_addr = 1;
		if (stats) {
			bpf_program__set_log_level(progs[i], 4); /* BPF_LOG_STATS */
			bpf_program__set_log_buf(progs[i], logs[i], STATS_LOG);
		}
	}
	err = zpcitrace_bpf__load(s);
	t_load = mono_ms();
	for (int i = 0; !err && i < n; i++) {
		if (progs[i] == s->progs.read_queues || progs[i] == s->progs.which_uapi)
			continue; /* run, not attached */
		links[i] = bpf_program__attach(progs[i]);
		if (!links[i]) {
			err = -errno;
			fprintf(stderr, "minload: cannot attach %s: %s\n", argv[i + 1], strerror(errno));
		}
	}
	t_attach = mono_ms();
	rb = err ? NULL : ring_buffer__new(bpf_map__fd(s->maps.events), on_event, NULL, NULL);
	if (!err && !rb)
		err = -errno;
	if (!err) {
		printf("minload: %d programs loaded and attached, ring buffer in %.1f ms (open+load %.1f, attach %.1f)\n",
		       n, mono_ms() - t0, t_load - t0, t_attach - t_load);
		for (int i = 0; stats && i < n; i++) {
			unsigned long long us = 0, insns = 0;
			char *v = strstr(logs[i], "verification time "), *q = strstr(logs[i], "processed ");

			if (v)
				us = strtoull(v + strlen("verification time "), NULL, 10);
			if (q)
				insns = strtoull(q + strlen("processed "), NULL, 10);
			printf("minload: verified %s in %.1f ms (%llu insns processed)\n", argv[i + 1], us / 1e3, insns);
		}
	} else {
		fprintf(stderr, "minload: failed: %s\n", strerror(-err));
	}
	ring_buffer__free(rb);
	for (int i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
	zpcitrace_bpf__destroy(s);
	return err ? 1 : 0;
}
