// SPDX-License-Identifier: GPL-2.0
/* zpcitrace: trace the zPCI error-event queue of s390x Linux >= 7.3 ("Error recovery for vfio-pci devices
 * on s390x"): errors the platform reports, and what the VMM reads back through VFIO_DEVICE_FEATURE. */
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
#include "zpcitrace.h"
#include "zpcitrace.skel.h"
#include "format.h"
#include "ksyms.h"

#ifndef ZT_VERSION
#define ZT_VERSION "0.1"
#endif
#define KALLSYMS "/proc/kallsyms"
#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

static struct env {
	bool verbose;
	bool timestamp;
} env;

const char *argp_program_version = "zpcitrace " ZT_VERSION;
const char *argp_program_bug_address = "<https://github.com/zpcitrace/zpcitrace/issues>";
static const char doc[] =
	"Trace the zPCI error-event queue of s390x Linux >= 7.3: every PCI error the platform reports\n"
	"for a function, and every read of the queue through VFIO_DEVICE_FEATURE (ZPCI_ERROR).\n"
	"\n"
	"USAGE: zpcitrace [-T] [-v]\n"
	"\n"
	"EXAMPLES:\n"
	"    zpcitrace        # one line per error arrival and per dequeue, until Ctrl-C\n"
	"    zpcitrace -T     # the same, each line prefixed with the UTC time of the event\n"
	"    zpcitrace -v     # also say which kernel functions are hooked, and libbpf's debug output\n";

static const struct argp_option options[] = {
	{ "timestamp", 'T', NULL, 0, "Prefix each event with its UTC wall-clock time", 0 },
	{ "verbose", 'v', NULL, 0, "Report hooks and libbpf debug output", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	(void)arg;
	switch (key) {
	case 'T':
		env.timestamp = true;
		break;
	case 'v':
		env.verbose = true;
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

/* The kernel functions zpcitrace hooks, with the skeleton's programs and link slots on each. */
struct hook {
	const char *func;
	const char *role;
	struct bpf_program *progs[2];
	struct bpf_link **links[2];
	bool present;
	bool attached;
};

enum { HOOK_ARRIVAL, HOOK_FEATURE, HOOK_DEQUEUE, NR_HOOKS };

struct counters {
	unsigned long long arrivals, dequeued, empty, lost, probes, other;
};

struct tracer {
	struct zpcitrace_bpf *skel;
	struct ring_buffer *rb;
	struct hook hooks[NR_HOOKS];
	struct zt_format_opts fmt;
	struct counters n;
};

static void init_hooks(struct tracer *t)
{
	struct zpcitrace_bpf *s = t->skel;

	t->hooks[HOOK_ARRIVAL] = (struct hook){
		.func = "zpci_event_error", .role = "arrival",
		.progs = { s->progs.arrival }, .links = { &s->links.arrival },
	};
	t->hooks[HOOK_FEATURE] = (struct hook){
		.func = "vfio_pci_zdev_feature_err", .role = "feature",
		.progs = { s->progs.feature_enter, s->progs.feature_exit },
		.links = { &s->links.feature_enter, &s->links.feature_exit },
	};
	t->hooks[HOOK_DEQUEUE] = (struct hook){
		.func = "zpci_get_pending_error", .role = "dequeue",
		.progs = { s->progs.dequeue_enter, s->progs.dequeue_exit },
		.links = { &s->links.dequeue_enter, &s->links.dequeue_exit },
	};
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct zt_event *e = data;
	char line[512];

	if (size < sizeof(*e))
		return 0;
	if (e->type == ZT_EV_ARRIVAL)
		t->n.arrivals++;
	else if (zt_dequeue_lost(e))
		t->n.lost++;
	else if (zt_feature_kind(e) == ZT_FEATURE_DEQUEUE && e->ret == 0)
		t->n.dequeued++;
	else if (zt_feature_kind(e) == ZT_FEATURE_DEQUEUE && e->ret == -ENOMSG)
		t->n.empty++;
	else if (zt_feature_kind(e) == ZT_FEATURE_PROBE)
		t->n.probes++;
	else
		t->n.other++;
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

/* Decide which hooks this kernel can take; fails when there is nothing zPCI to trace. */
static int probe_kernel(struct tracer *t)
{
	struct zt_ksym_query q[NR_HOOKS];
	int err;

	for (int i = 0; i < NR_HOOKS; i++)
		q[i] = (struct zt_ksym_query){ .name = t->hooks[i].func };
	err = zt_ksyms_scan(KALLSYMS, q, NR_HOOKS);
	if (err) {
		fprintf(stderr, "zpcitrace: cannot read %s: %s\n", KALLSYMS, strerror(-err));
		return err;
	}
	for (int i = 0; i < NR_HOOKS; i++)
		t->hooks[i].present = q[i].found;
	if (!t->hooks[HOOK_ARRIVAL].present) {
		fprintf(stderr, "zpcitrace: this kernel has no zPCI error path (no %s in %s); zPCI exists only on s390x\n",
			t->hooks[HOOK_ARRIVAL].func, KALLSYMS);
		return -ENOENT;
	}
	if (access(VMLINUX_BTF, R_OK)) {
		fprintf(stderr, "zpcitrace: this kernel has no BTF (%s missing); zpcitrace needs CONFIG_DEBUG_INFO_BTF\n",
			VMLINUX_BTF);
		return -ENOENT;
	}
	if (!t->hooks[HOOK_DEQUEUE].present)
		fprintf(stderr, "zpcitrace: no %s: this kernel lacks the zPCI error queue (Linux 7.3); "
				"tracing error arrivals only\n", t->hooks[HOOK_DEQUEUE].func);
	else if (!t->hooks[HOOK_FEATURE].present)
		fprintf(stderr, "zpcitrace: no %s: module vfio_pci_core is not loaded; dequeues are not traced\n",
			t->hooks[HOOK_FEATURE].func);
	/* a dequeue is reported when the feature ioctl returns: both hooks or neither */
	if (!t->hooks[HOOK_DEQUEUE].present || !t->hooks[HOOK_FEATURE].present)
		t->hooks[HOOK_DEQUEUE].present = t->hooks[HOOK_FEATURE].present = false;
	for (int i = 0; i < NR_HOOKS; i++)
		for (int p = 0; p < 2 && t->hooks[i].progs[p]; p++)
			bpf_program__set_autoload(t->hooks[i].progs[p], t->hooks[i].present);
	return 0;
}

static int attach(struct tracer *t)
{
	for (int i = 0; i < NR_HOOKS; i++) {
		struct hook *h = &t->hooks[i];

		for (int p = 0; p < 2 && h->progs[p] && h->present; p++) {
			*h->links[p] = bpf_program__attach(h->progs[p]);
			if (!*h->links[p]) {
				int err = -errno;
				fprintf(stderr, "zpcitrace: cannot attach to %s (%s): %s\n", h->func,
					bpf_program__section_name(h->progs[p]), strerror(-err));
				return err;
			}
		}
		h->attached = h->present;
		if (env.verbose)
			fprintf(stderr, "zpcitrace: hook %-26s %-8s %s\n", h->func, h->role,
				h->attached ? "kprobe" : "absent");
	}
	return 0;
}

static void print_summary(const struct tracer *t)
{
	unsigned long long drops = t->skel->bss->ringbuf_drops;

	fprintf(stderr,
		"zpcitrace: %llu arrivals, %llu dequeued, %llu empty reads (-ENOMSG), %llu lost after dequeue (-EFAULT), "
		"%llu probes, %llu other feature calls; %llu events lost in the ring buffer\n",
		t->n.arrivals, t->n.dequeued, t->n.empty, t->n.lost, t->n.probes, t->n.other, drops);
}

int main(int argc, char **argv)
{
	struct tracer t = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	t.skel = zpcitrace_bpf__open();
	if (!t.skel) {
		fprintf(stderr, "zpcitrace: cannot open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	init_hooks(&t);
	err = probe_kernel(&t);
	if (err)
		goto cleanup;
	err = zpcitrace_bpf__load(t.skel);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			fprintf(stderr, "zpcitrace: not allowed to load BPF programs (%s): run as root\n", strerror(-err));
		else
			fprintf(stderr, "zpcitrace: cannot load the BPF programs: %s\n", strerror(-err));
		goto cleanup;
	}
	err = attach(&t);
	if (err)
		goto cleanup;
	t.rb = ring_buffer__new(bpf_map__fd(t.skel->maps.events), on_event, &t, NULL);
	if (!t.rb) {
		err = -errno;
		fprintf(stderr, "zpcitrace: cannot create the ring buffer: %s\n", strerror(-err));
		goto cleanup;
	}
	t.fmt.timestamp = env.timestamp;
	t.fmt.realtime_off = realtime_offset_ns();
	fprintf(stderr, "Tracing zPCI error events... Hit Ctrl-C to end.\n");
	while (!exiting) {
		err = ring_buffer__poll(t.rb, 100);
		if (err == -EINTR) {
			err = 0;
			continue;
		}
		if (err < 0) {
			fprintf(stderr, "zpcitrace: ring buffer poll failed: %s\n", strerror(-err));
			break;
		}
		err = 0;
	}
	ring_buffer__consume(t.rb); /* what arrived before the signal */
	print_summary(&t);
	fflush(stdout);
cleanup:
	ring_buffer__free(t.rb);
	zpcitrace_bpf__destroy(t.skel);
	return err ? 1 : 0;
}
