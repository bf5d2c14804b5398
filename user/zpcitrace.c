// SPDX-License-Identifier: GPL-2.0
/* zpcitrace: trace the zPCI error-event queue of s390x Linux >= 7.3 ("Error recovery for vfio-pci devices
 * on s390x"): errors the platform reports, what becomes of them in the queue, the VMM's notification and
 * reads, and the function's open, close and resets. */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "format.h"
#include "stats.h"
#include "zpcitrace.h"
#include "zpcitrace.skel.h"

#ifndef ZT_VERSION
#define ZT_VERSION "0.1"
#endif
/* matches WAKEUP_INTERVAL_NS in the BPF program: records that did not wake us arrive within it */
#define BUSY_POLL_MS 10
#define PENDING_POLL_MS 1000

static struct env {
	bool verbose;
	bool timestamp;
	struct zt_attach_opts attach;
} env;

const char *argp_program_version = "zpcitrace " ZT_VERSION;
static const char doc[] =
	"Trace the zPCI error-event queue of s390x Linux >= 7.3: every PCI error the platform reports for a\n"
	"function, what became of it in the function's queue (stored, dropped because the queue was full, not\n"
	"stored), the VMM's notification, its reads through VFIO_DEVICE_FEATURE (ZPCI_ERROR), and the\n"
	"function's open, close (which discards what is still queued) and resets.\n"
	"\n"
	"USAGE: zpcitrace [-T] [-v] [--fid FID] [--no-hook FUNC]... [--btf PATH]\n"
	"\n"
	"EXAMPLES:\n"
	"    zpcitrace                 # one line per event, until Ctrl-C; a summary at the end\n"
	"    zpcitrace -T              # the same, each line prefixed with the UTC time of the event\n"
	"    zpcitrace --fid 0x12      # only function 0x12\n"
	"    zpcitrace -v              # also say which kernel functions are hooked and how\n"
	"    zpcitrace --btf vmlinux.btf   # a kernel without /sys/kernel/btf/vmlinux\n";

enum { OPT_FID = 0x100, OPT_NO_HOOK, OPT_BTF };

static const struct argp_option options[] = {
	{ "timestamp", 'T', NULL, 0, "Prefix each event with its UTC wall-clock time", 0 },
	{ "verbose", 'v', NULL, 0, "Report hooks and their attach mode, and libbpf debug output", 0 },
	{ "fid", OPT_FID, "FID", 0, "Trace only this function id (filtered in the kernel)", 0 },
	{ "no-hook", OPT_NO_HOOK, "FUNC", 0, "Do not hook kernel function FUNC (repeatable; -v lists them)", 0 },
	{ "btf", OPT_BTF, "PATH", 0, "Kernel BTF file, for kernels without /sys/kernel/btf/vmlinux", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	char *end;
	int h;

	switch (key) {
	case 'T':
		env.timestamp = true;
		break;
	case 'v':
		env.verbose = env.attach.verbose = true;
		break;
	case OPT_FID: {
		unsigned long fid;

		errno = 0;
		fid = strtoul(arg, &end, 0);
		if (errno || !*arg || *end || fid > 0xffffffffUL || arg[0] == '-')
			argp_error(state, "--fid: '%s' is not a function id (0 to 0xffffffff)", arg);
		env.attach.filter_fid_on = true;
		env.attach.filter_fid = (__u32)fid;
		break;
	}
	case OPT_NO_HOOK:
		h = zt_hook_by_func(arg);
		if (h < 0)
			argp_error(state, "--no-hook: zpcitrace does not hook '%s'", arg);
		if (h == ZT_HOOK_EVENT_ERROR)
			argp_error(state, "--no-hook: %s is where errors arrive; it cannot be switched off", arg);
		env.attach.no_hook[h] = true;
		break;
	case OPT_BTF:
		env.attach.btf_path = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = { .options = options, .parser = parse_arg, .doc = doc };

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !env.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

struct tracer {
	struct zt_attach attach;
	struct ring_buffer *rb;
	struct zt_format_opts fmt;
	struct zt_stats stats;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct zt_event *e = data;
	char line[512];

	if (size < sizeof(*e))
		return 0;
	zt_stats_add(&t->stats, e);
	zt_format_event(e, &t->fmt, line, sizeof(line));
	puts(line);
	return 0;
}

static long long realtime_offset_ns(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return (rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec);
}

/* Sleep until the BPF side wakes us (first record after a quiet spell); while records keep coming,
 * poll every BUSY_POLL_MS instead, since a storm's records do not wake us one by one. */
static int trace_loop(struct tracer *t)
{
	int timeout = zt_attach_has_pending(&t->attach) ? PENDING_POLL_MS : -1;

	while (!exiting) {
		int n = ring_buffer__poll(t->rb, timeout);

		if (n == -EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "zpcitrace: ring buffer poll failed: %s\n", strerror(-n));
			return n;
		}
		n += ring_buffer__consume(t->rb); /* records submitted without a wakeup */
		if (zt_attach_has_pending(&t->attach))
			zt_attach_pending(&t->attach);
		timeout = n > 0 ? BUSY_POLL_MS : zt_attach_has_pending(&t->attach) ? PENDING_POLL_MS : -1;
	}
	ring_buffer__consume(t->rb); /* what arrived before the signal */
	return 0;
}

int main(int argc, char **argv)
{
	static struct tracer t;
	struct sigaction sa = { .sa_handler = on_signal };
	struct zpcitrace_bpf *maps;
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = zt_attach_start(&t.attach, &env.attach);
	if (err)
		goto cleanup;
	if (env.verbose)
		zt_attach_report(&t.attach, "zpcitrace: ");
	maps = zt_attach_maps(&t.attach);
	t.rb = ring_buffer__new(bpf_map__fd(maps->maps.events), on_event, &t, NULL);
	if (!t.rb) {
		err = -errno;
		fprintf(stderr, "zpcitrace: cannot create the ring buffer: %s\n", strerror(-err));
		goto cleanup;
	}
	t.fmt.timestamp = env.timestamp;
	t.fmt.realtime_off = realtime_offset_ns();
	fprintf(stderr, "Tracing zPCI error events... Hit Ctrl-C to end.\n");
	err = trace_loop(&t);
	fflush(stdout);
	fprintf(stderr, "zpcitrace: summary\n");
	zt_stats_print(&t.stats, maps->bss->ringbuf_drops, stderr);
	zt_attach_report(&t.attach, "  ");
cleanup:
	ring_buffer__free(t.rb);
	zt_attach_stop(&t.attach);
	return err ? 1 : 0;
}
