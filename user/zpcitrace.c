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
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include <elfutils/version.h>
#include <zlib.h>
#include <zstd.h>
#include "args.h"
#include "attach.h"
#include "capture.h"
#include "losslog.h"
#include "owner.h"
#include "correlate.h"
#include "report.h"
#include "sink.h"
#include "startwatch.h"
#include "status.h"
#include "service.h"
#include "summary.h"
#include "text.h"
#include "zt_event.h"

#ifndef ZT_VERSION
#define ZT_VERSION "0.1"
#endif
/* the BPF side wakes the loader only when the ring buffer is half full (bpf/submit.h): it polls, every
 * BUSY_POLL_MS while records come, else every LIVE_POLL_MS in the live view (an event shows within 0.1 s) and
 * every RECORD_POLL_MS when recording; the exporter reads at each export */
#define BUSY_POLL_MS 10
#define LIVE_POLL_MS 100
#define RECORD_POLL_MS 1000
#define PENDING_POLL_MS 1000 /* modules are looked for this often only where uevents cannot be had */
#define START_NOTICE_S 5     /* a start that takes longer says what it is doing, every this often */

static struct env {
	int verbose; /* -v: 1, -vv: 2 (libbpf's debug messages too) */
	bool timestamp;
	bool json;
	unsigned long interval_s; /* -i: a summary every interval */
	unsigned long duration_s; /* stop after this long; 0: until a signal */
	const char *prom_path; /* --prom: keep this node_exporter textfile current */
	bool record;           /* zpcitrace record */
	bool log_losses;       /* --log-losses */
	const char *exporter_file; /* status --exporter-file */
	bool status;           /* zpcitrace status */
	const char *capture_path; /* record -w */
	unsigned long flight_n;   /* record --flight-recorder N */
	uint64_t rotate_bytes;    /* record -C: a new FILE past this many bytes */
	unsigned long rotate_files; /* record -W: FILE and FILE.1 ... FILE.N-1 are kept */
	struct zt_attach_opts attach;
} env;

const char *argp_program_version = "zpcitrace " ZT_VERSION;
/* argp fills each line to 79 columns: every line here is shorter, so none is re-wrapped. After \v: below
 * the options. */
static const char live_doc[] =
	"Trace the zPCI error-event queue of s390x Linux >= 7.3: every PCI error the\n"
	"platform reports for a function, what became of it in the function's queue\n"
	"(stored, dropped because the queue was full, not stored), the VMM's\n"
	"notification, its reads through VFIO_DEVICE_FEATURE (ZPCI_ERROR), and the\n"
	"function's open, close (which discards what is still queued) and resets.\n"
	"\n"
	"Each dequeue is matched with its enqueue: the summary gives the time errors\n"
	"wait in the queue per PEC and per function, overflow and losses per function,\n"
	"errors still pending, and functions whose errors nobody reads.\n"
	"\n"
	"Commands (each has its own --help):\n"
	"  zpcitrace [OPTION...] [DURATION]   trace live (this page)\n"
	"  zpcitrace record -w FILE ...       write a capture, to report anywhere\n"
	"  zpcitrace report FILE ...          summarise a capture\n"
	"  zpcitrace status ...               every function's error queue now\n"
	"\vEXAMPLES:\n"
	"  zpcitrace               # a line per event until Ctrl-C, then a summary\n"
	"  zpcitrace -T            # each line prefixed with the event's UTC time\n"
	"  zpcitrace -i 10 3600    # a summary every 10 s, for an hour\n"
	"  zpcitrace -j > t.jsonl  # JSON lines: an object per event, then the summary\n"
	"  zpcitrace --prom /var/lib/prometheus/node-exporter/zpcitrace.prom\n"
	"                          # a node_exporter textfile, written every 15 s\n"
	"  zpcitrace --fid 0x12    # only function 0x12\n"
	"  zpcitrace -v            # also say which kernel functions are hooked\n"
	"  zpcitrace --btf vmlinux.btf  # a kernel without /sys/kernel/btf/vmlinux\n"
	"\n"
	"DURATION is in seconds. FID is decimal or 0x hex. Exit status: 0, 1 on an\n"
	"error, 64 on a usage error, 69 where it cannot trace (no zPCI, no BTF), 77\n"
	"without the privileges, 78 with an unreadable --btf file, 130 when\n"
	"interrupted while starting.\n";

static const char record_doc[] =
	"Write a capture (docs/capture.md): every traced event as a line of JSON, to\n"
	"read later on any machine with 'zpcitrace report'. With --flight-recorder,\n"
	"keep only the last N events in memory and write them out when asked.\n"
	"\vEXAMPLES:\n"
	"  zpcitrace record -w errors.jsonl         # until Ctrl-C\n"
	"  zpcitrace record -w errors.jsonl 3600    # for an hour\n"
	"  zpcitrace record -w fr.jsonl --flight-recorder 1000\n"
	"        # the last 1000 events: on SIGUSR1, a queue overflow or a discard\n"
	"        # (fr.jsonl.1, fr.jsonl.2, ...) and at exit (fr.jsonl)\n"
	"        # each dump holds the events since the one before it\n"
	"  zpcitrace record -w /var/lib/zpcitrace/capture.jsonl -C 64 -W 8\n"
	"        # at most 8 files of about 64 MB: capture.jsonl, then .1 (newest)\n"
	"        # to .7 (oldest); each reads by itself\n"
	"\n"
	"FILE '-' is stdout. A file is written beside FILE and renamed into place. A\n"
	"FILE that exists is kept: shifted to FILE.1 with -C/-W, else moved to the\n"
	"first FILE.N after those that exist (the flight recorder's dumps follow it).\n";

static const char status_doc[] =
	"Read every zPCI function's error queue as it is now, print it, and exit.\n"
	"\vEXAMPLES:\n"
	"  zpcitrace status\n"
	"  zpcitrace status -j --fid 0x12\n"
	"\n"
	"For a function open for vfio it names the process that opened it and, as\n"
	"zpcitrace-exporter judged it (its textfile), what its consumer does after\n"
	"each notification.\n";

enum { OPT_FID = 0x100, OPT_NO_HOOK, OPT_BTF, OPT_KPROBES, OPT_PROM, OPT_FLIGHT, OPT_LOG_LOSSES, OPT_EXPORTER_FILE };
#define PROM_INTERVAL_S 15
#define MAX_SECONDS (86400UL * 365)

#define OPT_VERBOSE { "verbose", 'v', NULL, 0, "Report hooks, their attach mode and where the start's time went, with libbpf's warnings; -vv: libbpf's debug messages too", 0 }
#define OPT_FID_ { "fid", OPT_FID, "FID", 0, "Trace only this function id (filtered in the kernel)", 0 }
#define OPT_ATTACH \
	{ "no-hook", OPT_NO_HOOK, "FUNC", 0, "Do not hook kernel function FUNC (repeatable; -v lists them)", 0 }, \
	{ "btf", OPT_BTF, "PATH", 0, "Kernel BTF file, for kernels without /sys/kernel/btf/vmlinux", 0 }, \
	{ "kprobes", OPT_KPROBES, NULL, 0, "Attach with kprobes even where fentry/fexit would work", 0 }

static const struct argp_option live_options[] = {
	{ "timestamp", 'T', NULL, 0, "Prefix each event with its UTC wall-clock time", 0 },
	{ "json", 'j', NULL, 0, "JSON lines on stdout: one object per event, then the summary", 0 },
	{ "interval", 'i', "SECONDS", 0, "Print the summary every SECONDS as well (with --prom: write FILE every "
					  "SECONDS, default 15)", 0 },
	{ "prom", OPT_PROM, "FILE", 0, "Run as a Prometheus textfile exporter: keep FILE current, print no events "
				       "(not with -j or -T)", 0 },
	{ "log-losses", OPT_LOG_LOSSES, NULL, 0, "A line on stderr (the journal) for each error dropped, lost, "
						 "discarded or unread for " ZT_STR(ZT_LOSSLOG_UNREAD_S) " s: its function, "
						 "owner, PEC and alert; at most " ZT_STR(ZT_LOSSLOG_BURST) " a minute", 0 },
	OPT_VERBOSE, OPT_FID_, OPT_ATTACH, ZT_ARGS_STD,
	{},
};

static const struct argp_option record_options[] = {
	{ "write", 'w', "FILE", 0, "Write the capture to FILE (required)", 0 },
	{ "flight-recorder", OPT_FLIGHT, "N", 0, "Keep the last N events; write them on SIGUSR1, on a queue "
						"overflow or discard (FILE.1, FILE.2, ...), and at exit (FILE)", 0 },
	{ "file-size", 'C', "MB", 0, "Once FILE holds MB million bytes (or with k, m, g: KiB, MiB, GiB), close it, "
				     "shift it to FILE.1 (as FILE.1 to FILE.2, ...) and start FILE anew, with the queues as "
				     "they are", 0 },
	{ "file-count", 'W', "N", 0, "With -C: keep FILE and FILE.1 to FILE.N-1 (N from 2 to 1000); the oldest "
				     "goes. With --flight-recorder: at most N dumps on disk (default "
				     ZT_STR(ZT_FLIGHT_DUMPS) "); the next ones are held back and counted", 0 },
	OPT_VERBOSE, OPT_FID_, OPT_ATTACH, ZT_ARGS_STD,
	{},
};

static const struct argp_option status_options[] = {
	{ "json", 'j', NULL, 0, "The queues as one JSON object", 0 },
	OPT_VERBOSE,
	{ "fid", OPT_FID, "FID", 0, "Only this function id", 0 },
	{ "exporter-file", OPT_EXPORTER_FILE, "FILE", 0, "Where zpcitrace-exporter writes its textfile, to show how "
							 "it judged each consumer (default " ZT_STATUS_EXPORTER_FILE ")", 0 },
	ZT_ARGS_STD,
	{},
};

static const char *command; /* "record", "status", or NULL: the live view */

static const struct argp_option *command_options(void)
{
	return !command ? live_options : !strcmp(command, "record") ? record_options : status_options;
}

/* the combinations argp cannot refuse by itself */
static void check_conflicts(void)
{
	if (env.record && !env.capture_path)
		zt_usage_error(command, "record: where to? -w FILE");
	if (env.prom_path && (env.json || env.timestamp))
		zt_usage_error(command, "--prom writes metrics, not events: -j and -T go with the live view");
	if (env.record && env.flight_n && zt_out_is_stdout(env.capture_path))
		zt_usage_error(command, "--flight-recorder writes files FILE.1, FILE.2, ...: not to stdout");
	if (env.rotate_bytes && (env.flight_n || zt_out_is_stdout(env.capture_path)))
		zt_usage_error(command, "-C rotates the files of a capture: not with --flight-recorder, nor to stdout");
	if (!env.flight_n && !env.rotate_bytes != !env.rotate_files)
		zt_usage_error(command, "-C and -W go together: the size of a file, and how many files to keep");
	if (env.rotate_bytes && env.rotate_files < 2)
		zt_usage_error(command, "-W: '%lu' is not a number of files (2 to 1000): a rotation keeps FILE and FILE.1 "
			       "at least", env.rotate_files);
	/* a path that cannot be written is said now, not after the BPF start: an empty one is bad usage, one in a
	 * missing directory an output zpcitrace cannot write (exit status 1, as when a write fails) */
	const char *out = env.record ? env.capture_path : env.prom_path;
	char why[4200];
	int bad = out ? zt_check_output_path(out, why, sizeof(why)) : 0;

	if (bad == -EINVAL)
		zt_usage_error(command, "%s: %s", env.record ? "-w" : "--prom", why);
	if (bad) {
		fprintf(stderr, "zpcitrace: %s\n", why);
		exit(1);
	}
}

/* record's own options: ARGP_ERR_UNKNOWN for the others */
static error_t parse_record_arg(int key, char *arg)
{
	switch (key) {
	case 'w':
		zt_once(command, "-w", env.capture_path);
		env.capture_path = arg;
		break;
	case OPT_FLIGHT:
		zt_once(command, "--flight-recorder", env.flight_n ? "" : NULL);
		if (zt_parse_count(arg, ZT_FLIGHT_MAX, &env.flight_n))
			zt_usage_error(command, "--flight-recorder: '%s' is not a number of events (1 to %lu, %lu MiB)", arg,
				       ZT_FLIGHT_MAX, ZT_FLIGHT_MAX * sizeof(struct zt_event) >> 20);
		break;
	case 'C':
		zt_once(command, "-C", env.rotate_bytes ? "" : NULL);
		if (zt_parse_file_size(arg, &env.rotate_bytes))
			zt_usage_error(command, "-C: '%s' is not a file size: million bytes (1 to 1000000), or with k, m or g "
				       "(KiB, MiB, GiB), 4k at least", arg);
		break;
	case 'W':
		zt_once(command, "-W", env.rotate_files ? "" : NULL);
		if (zt_parse_count(arg, 1000, &env.rotate_files))
			zt_usage_error(command, "-W: '%s' is not a number of files (1 to 1000)", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* the exporter's options, and status' reading of its textfile */
static error_t parse_exporter_arg(int key, char *arg)
{
	switch (key) {
	case OPT_PROM:
		zt_once(command, "--prom", env.prom_path);
		env.prom_path = arg;
		break;
	case OPT_LOG_LOSSES:
		env.log_losses = true;
		break;
	case OPT_EXPORTER_FILE:
		zt_once(command, "--exporter-file", env.exporter_file);
		if (!*arg)
			zt_usage_error(command, "--exporter-file: an empty file name");
		env.exporter_file = arg;
		break;
	}
	return 0;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	int h;

	switch (key) {
	case 'T':
		env.timestamp = true;
		break;
	case 'v':
		env.verbose++;
		env.attach.verbose = true;
		break;
	case 'j':
		env.json = true;
		break;
	case 'i':
		zt_once(command, "-i", env.interval_s ? "" : NULL);
		if (zt_parse_count(arg, MAX_SECONDS, &env.interval_s))
			zt_usage_error(command, "-i: '%s' is not a number of seconds (1 to %lu)", arg, MAX_SECONDS);
		break;
	case OPT_FID:
		zt_once(command, "--fid", env.attach.filter_fid_on ? "" : NULL);
		if (zt_parse_fid(arg, &env.attach.filter_fid))
			zt_usage_error(command, "--fid: '%s' is not a function id (decimal or 0x hex, to 0xffffffff)", arg);
		env.attach.filter_fid_on = true;
		break;
	case OPT_NO_HOOK:
		h = zt_hook_by_func(arg);
		if (h < 0)
			zt_usage_error(command, "--no-hook: zpcitrace does not hook '%s'", arg);
		if (h == ZT_HOOK_EVENT_ERROR)
			zt_usage_error(command, "--no-hook: %s is where errors arrive; it cannot be switched off", arg);
		env.attach.no_hook[h] = true;
		break;
	case OPT_BTF:
		zt_once(command, "--btf", env.attach.btf_path);
		env.attach.btf_path = arg;
		break;
	case OPT_KPROBES:
		env.attach.kprobes = true;
		break;
	case OPT_PROM:
	case OPT_LOG_LOSSES:
	case OPT_EXPORTER_FILE:
		return parse_exporter_arg(key, arg);
	case 'w':
	case OPT_FLIGHT:
	case 'C':
	case 'W':
		return parse_record_arg(key, arg);
	case ARGP_KEY_END:
		check_conflicts();
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num > 0 || env.status)
			zt_usage_error(command, "unexpected argument '%s'", arg);
		if (zt_parse_count(arg, MAX_SECONDS, &env.duration_s))
			zt_usage_error(command, "DURATION: '%s' is not a number of seconds (1 to %lu)", arg, MAX_SECONDS);
		break;
	case ARGP_KEY_ERROR: /* argp refused a word (ARGP_NO_ERRS: it said nothing) */
		zt_bad_word(command, command_options(), state->argv, state->argc, state->next);
	default:
		zt_std_option(key, state);
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void parse_command_line(int argc, char **argv)
{
	const char *doc = !command ? live_doc : !strcmp(command, "record") ? record_doc : status_doc;
	struct argp argp = { .options = command_options(), .parser = parse_arg, .doc = doc,
			     .args_doc = env.status ? NULL : "[DURATION]" };

	/* argp's own messages take two or three lines: ARGP_NO_ERRS, and zt_bad_word says it in one */
	if (argp_parse(&argp, argc, argv, ARGP_NO_ERRS | ARGP_NO_HELP, NULL, NULL))
		zt_usage_error(command, "bad command line");
}

static volatile sig_atomic_t exiting, dump_requested, started;

static void say_safely(const char *a, const char *b)
{
	for (const char *p = a; *p; p++)
		(void)!write(STDERR_FILENO, p, 1);
	for (const char *p = b; *p; p++)
		(void)!write(STDERR_FILENO, p, 1);
	(void)!write(STDERR_FILENO, "\n", 1);
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1) {
		dump_requested = 1;
	} else if (!started) {
		/* a start can take long under load (verification); nothing is written yet, nothing to flush */
		say_safely("zpcitrace: interrupted while ", (const char *)zt_attach_stage);
		_exit(130);
	} else {
		exiting = 1;
	}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* libbpf speaks only with -v: without it, failures are zpcitrace's one line each (pointing to -v). Its debug
 * messages (thousands of lines: each relocation) only with -vv: printing them slows the start */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!env.verbose || (level == LIBBPF_DEBUG && env.verbose < 2))
		return 0;
	return vfprintf(stderr, fmt, args);
}

struct tracer {
	struct zt_attach *attach;
	struct ring_buffer *rb;
	struct zt_corr corr;
	struct zt_hook_state hooks[ZT_NR_HOOKS];
	struct zt_run meta;
	long long realtime_off;
	struct zt_sink *sink; /* where the events go; NULL for status */
	struct zt_status status;
	unsigned long status_lost;
	struct zt_losslog losslog; /* --log-losses */
	struct zt_vfio_holders holders; /* who holds which vfio file, for the owners of devices open at a queue read */
	char service_status[512];  /* the service manager's STATUS=, as last sent */
	uint64_t status_ns, watchdog_ns, watchdog_usec;
};

/* the owner of the device an open or a queue read at start names: the process that opened it, or the one that
 * holds it open (found once); NULL for any other event, or none known */
static const struct zt_owner *owner_of(struct tracer *t, const struct zt_event *e)
{
	struct zt_fn *f = e->has_fn && (e->type == ZT_EV_OPEN || e->type == ZT_EV_QUEUE) ? zt_corr_fn(&t->corr, e->fid)
											  : NULL;
	char comm[ZT_COMM_LEN + 1] = "", pci[32];
	struct zt_owner o;

	if (!f)
		return NULL;
	if (e->type == ZT_EV_OPEN) {
		memcpy(comm, e->comm, ZT_COMM_LEN);
		zt_owner_read("/proc", (int)e->pid, comm, &o);
		zt_corr_owner(&t->corr, e->fid, &o);
	} else if (e->q_valid && e->q_mr && !f->owner.pid && e->has_pci) {
		/* a read of the queues names its functions within milliseconds: one walk of /proc serves them all */
		if (mono_ns() - t->holders.taken_ns > 1000000000ull) {
			if (zt_vfio_holders_scan("/proc", &t->holders))
				fprintf(stderr, "zpcitrace: out of memory for the holders of vfio devices: owners not known\n");
			t->holders.taken_ns = mono_ns();
		}
		zt_pci_name(true, e->pci_domain, e->pci_bus, e->pci_devfn, pci, sizeof(pci));
		if (!zt_owner_find("/proc", "/sys", &t->holders, pci, &o))
			zt_corr_owner(&t->corr, e->fid, &o);
	}
	return f->owner.pid && (e->type == ZT_EV_OPEN || e->q_mr) ? &f->owner : NULL;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct zt_event *e = data;
	struct zt_match note;

	if (size < sizeof(*e))
		return 0;
	zt_corr_add(&t->corr, e, &note);
	note.owner = owner_of(t, e);
	if (env.status) {
		if (zt_status_add(&t->status, e))
			t->status_lost++;
		return 0;
	}
	t->sink->event(t->sink, e, &note);
	if (env.log_losses)
		zt_losslog_event(&t->losslog, &t->corr, e, e->ts_ns);
	return 0;
}

static long long realtime_offset_ns(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return (rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec);
}

/* what changes as the run goes: hooks attach (a module loads), the uAPI form becomes known */
static void run_now(struct tracer *t)
{
	zt_attach_hook_states(t->attach, t->hooks);
	memcpy(t->meta.hooks, t->hooks, sizeof(t->meta.hooks));
	t->meta.nhooks = ZT_NR_HOOKS;
	t->meta.derived = zt_attach_derived(t->attach);
	t->meta.uapi = zt_attach_uapi(t->attach);
}

static void snapshot(struct tracer *t, struct zt_snapshot *s, bool at_exit)
{
	run_now(t);
	*s = (struct zt_snapshot){
		.corr = &t->corr,
		.now_ns = mono_ns(),
		.run = &t->meta,
		.histograms = at_exit,
		.ident = zt_ident_sysfs,
	};
	zt_attach_losses(t->attach, &s->losses);
}

/* the state now, for a sink between intervals */
static void snapshot_now(void *ctx, struct zt_snapshot *out)
{
	snapshot(ctx, out, false);
}

/* 32 hex digits, random: what ties a run's capture files together (a report joins them by it) */
static void run_id(char (*out)[33])
{
	unsigned char r[16] = { 0 };
	struct timespec ts;

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) { /* early boot: time and pid */
		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(r, &ts, sizeof(ts) < sizeof(r) ? sizeof(ts) : sizeof(r));
		r[15] ^= (unsigned char)getpid();
		r[14] ^= (unsigned char)(getpid() >> 8);
	}
	*zt_put_hex(*out, r, sizeof(r)) = '\0';
}

static void run_facts(struct tracer *t)
{
	struct zt_run *m = &t->meta;
	struct utsname u;

	memset(m, 0, sizeof(*m));
	gethostname(m->hostname, sizeof(m->hostname) - 1);
	if (!uname(&u)) {
		snprintf(m->kernel, sizeof(m->kernel), "%s", u.release);
		snprintf(m->machine, sizeof(m->machine), "%s", u.machine);
	}
	snprintf(m->btf, sizeof(m->btf), "%s", env.attach.btf_path ? env.attach.btf_path : "/sys/kernel/btf/vmlinux");
	snprintf(m->zpcitrace, sizeof(m->zpcitrace), "%s", ZT_VERSION);
	run_id(&m->run_id);
	m->realtime_off = t->realtime_off;
	run_now(t);
}

/* ms until deadline (rounded up), or keep wait when that comes first; -1 waits forever */
static int wait_until(int wait, uint64_t now, uint64_t deadline)
{
	uint64_t ms = deadline > now ? (deadline - now + 999999) / 1000000 : 0;

	return wait < 0 || (uint64_t)wait > ms ? (int)ms : wait;
}

/* how long the loop sleeps when no record came: the exporter until its next export (-1) */
static int idle_poll_ms(void)
{
	return env.prom_path ? -1 : env.record ? RECORD_POLL_MS : LIVE_POLL_MS;
}

/* what the service manager hears (service.h): first (ready, extra "READY=1\n") and when the status line changed,
 * at most once a second; WATCHDOG=1 every half of its period */
static void service(struct tracer *t, const char *extra)
{
	uint64_t now = mono_ns();
	struct zt_snapshot s;
	char line[sizeof(t->service_status)];

	if (t->watchdog_usec && now - t->watchdog_ns >= t->watchdog_usec * 500) {
		zt_notify("WATCHDOG=1");
		t->watchdog_ns = now;
	}
	if (!extra && now - t->status_ns < 1000000000ull)
		return;
	snapshot(t, &s, false);
	zt_service_status(&s, t->sink ? &t->sink->out : NULL, line, sizeof(line));
	if (!extra && !strcmp(line, t->service_status))
		return;
	memcpy(t->service_status, line, sizeof(line));
	t->status_ns = now;
	zt_notify("%sSTATUS=%s", extra ? extra : "", line);
}

/* what follows each drain of the ring buffer: the sink's turn (also after a signal: SIGUSR1 asks for a dump),
 * hooks whose module may have come, errors queued too long (at least every export, or every LIVE_POLL_MS) */
static void drained(struct tracer *t, int modfd)
{
	if (t->sink->drained) {
		bool sigusr1 = dump_requested;

		dump_requested = 0;
		t->sink->drained(t->sink, sigusr1);
	}
	if (modfd < 0 && zt_attach_has_pending(t->attach))
		zt_attach_pending(t->attach);
	if (env.log_losses)
		zt_losslog_tick(&t->losslog, &t->corr, mono_ns());
	service(t, NULL);
}

/* Poll the ring buffer (the BPF side wakes us only when it is half full: a wakeup would run in the traced
 * thread), and wake when a module loads or goes; while records keep coming, poll every BUSY_POLL_MS. Print a
 * summary every -i interval (one that fell due is printed before the duration ends); stop after the duration. */
static int trace_loop(struct tracer *t)
{
	uint64_t start = mono_ns(), next_summary = start + env.interval_s * 1000000000ull;
	uint64_t end = env.duration_s ? start + env.duration_s * 1000000000ull : 0;
	int modfd = zt_attach_module_fd(t->attach), timeout = idle_poll_ms();
	struct epoll_event ev = { .events = EPOLLIN }, got[2];
	int ep = epoll_create1(EPOLL_CLOEXEC), err = 0;

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ring_buffer__epoll_fd(t->rb), &ev) ||
	    (modfd >= 0 && (ev.data.fd = modfd, epoll_ctl(ep, EPOLL_CTL_ADD, modfd, &ev)))) {
		err = -errno;
		fprintf(stderr, "zpcitrace: cannot wait for events: %s\n", strerror(-err));
		goto out;
	}
	while (!exiting) {
		uint64_t now = mono_ns();
		int n, wait = timeout;

		if (env.interval_s && now >= next_summary) {
			struct zt_snapshot s;

			ring_buffer__consume(t->rb); /* records that did not wake us (all of them with --prom) */
			snapshot(t, &s, false);
			if (t->sink->tick)
				t->sink->tick(t->sink, &s);
			next_summary += env.interval_s * 1000000000ull;
		}
		if (end && now >= end)
			break;
		if (modfd < 0 && zt_attach_has_pending(t->attach))
			wait = wait < 0 || wait > PENDING_POLL_MS ? PENDING_POLL_MS : wait;
		if (end)
			wait = wait_until(wait, now, end);
		if (env.interval_s)
			wait = wait_until(wait, now, next_summary);
		if (t->watchdog_usec) /* the main loop pets the watchdog: it must come round in time */
			wait = wait_until(wait, now, t->watchdog_ns + t->watchdog_usec * 500);
		n = epoll_wait(ep, got, 2, wait);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			fprintf(stderr, "zpcitrace: waiting for events failed: %s\n", strerror(-err));
			break;
		}
		for (int i = 0; i < n; i++)
			if (modfd >= 0 && got[i].data.fd == modfd)
				zt_attach_module_events(t->attach);
		n = ring_buffer__consume(t->rb);
		if (n < 0) {
			err = n;
			fprintf(stderr, "zpcitrace: reading the ring buffer failed: %s\n", strerror(-n));
			break;
		}
		drained(t, modfd);
		timeout = n > 0 ? BUSY_POLL_MS : idle_poll_ms();
		int want = t->sink->wait_ms ? t->sink->wait_ms(t->sink) : -1;

		if (want >= 0 && (timeout < 0 || timeout > want))
			timeout = want;
	}
	ring_buffer__consume(t->rb); /* what arrived before the signal */
out:
	if (ep >= 0)
		close(ep);
	return err;
}

/* zpcitrace status: the queues as they are now, then exit */
static int show_status(struct tracer *t)
{
	int n = zt_attach_read_queues(t->attach);
	struct zt_losses losses;

	if (n < 0) {
		fprintf(stderr, "zpcitrace: cannot read the queues: %s\n", strerror(-n));
		return n;
	}
	ring_buffer__consume(t->rb);
	zt_attach_losses(t->attach, &losses);
	if (zt_status_read_consumers(&t->status, env.exporter_file ? env.exporter_file : ZT_STATUS_EXPORTER_FILE,
				     (long long)time(NULL))) {
		fprintf(stderr, "zpcitrace: out of memory for the exporter's textfile\n");
		return -ENOMEM;
	}
	if (t->status_lost || losses.n[ZT_LOSS_RINGBUF]) {
		fprintf(stderr, "zpcitrace: the status is incomplete: %lu functions or errors could not be kept\n",
			t->status_lost + (unsigned long)losses.n[ZT_LOSS_RINGBUF]);
		return -ENOBUFS;
	}
	if (env.json)
		zt_status_json(&t->status, zt_ident_sysfs, &t->corr, stdout);
	else
		zt_status_text(&t->status, zt_ident_sysfs, &t->corr, stdout);
	return fflush(stdout) ? -errno : 0;
}

/* read every queue as tracing starts: errors already queued are known, marked as queued before the start */
static void read_queues_at_start(struct tracer *t)
{
	int n = zt_attach_read_queues(t->attach);

	if (n == -ENOENT)
		return; /* said at load: no queues, or no zpci_list */
	if (n < 0)
		fprintf(stderr, "zpcitrace: cannot read the queues at start: %s\n", strerror(-n));
	else if (env.verbose)
		fprintf(stderr, "zpcitrace: read the queues of %d functions\n", n);
}

/* a rotated capture's new file starts with the queues as they are, so that it reads by itself */
static void read_queues_again(void *ctx)
{
	struct tracer *t = ctx;
	int n = zt_attach_read_queues(t->attach);

	if (n < 0 && n != -ENOENT)
		fprintf(stderr, "zpcitrace: cannot read the queues for the new file: %s\n", strerror(-n));
}

/* the command line's subcommand: report runs by itself; record and status set the mode */
static int parse(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "record") || !strcmp(argv[1], "status"))) {
		command = argv[1];
		env.record = !strcmp(command, "record");
		env.status = env.attach.queues_only = !env.record;
		argv[1] = env.record ? "zpcitrace record" : "zpcitrace status";
		argc--, argv++;
	}
	parse_command_line(argc, argv);
	if (env.prom_path && !env.interval_s)
		env.interval_s = PROM_INTERVAL_S;
	return 0;
}

static uint64_t t_main; /* when main began: the start-up the operator waits for */

/* probe, load and attach; the ring buffer */
static int start_tracer(struct tracer *t)
{
	uint64_t t_load = mono_ns();
	int err;

	t->attach = zt_attach_new(&env.attach);
	if (!t->attach)
		return -ENOMEM;
	err = zt_attach_prepare(t->attach) ?: zt_attach_load(t->attach) ?: zt_attach_attach(t->attach);
	if (err)
		return err;
	if (env.verbose) {
		zt_attach_hook_states(t->attach, t->hooks);
		if (!env.status)
			zt_print_hooks(t->hooks, ZT_NR_HOOKS, "zpcitrace: ", stderr);
		if (zt_attach_derived(t->attach))
			fprintf(stderr, "zpcitrace: enqueue outcomes derived from the queue state around each arrival\n");
		fprintf(stderr, "zpcitrace: loaded and attached in %.1f ms\n", (mono_ns() - t_load) / 1e6);
		fprintf(stderr, "zpcitrace: where it went: ");
		zt_attach_costs_print(zt_attach_costs(t->attach), (mono_ns() - t_load) / 1e6, stderr);
	}
	t->rb = ring_buffer__new(zt_attach_events_fd(t->attach), on_event, t, NULL);
	if (!t->rb) {
		err = -errno;
		fprintf(stderr, "zpcitrace: cannot create the ring buffer: %s\n", strerror(-err));
	}
	return err;
}

/* the one sink of this run, chosen once: flight recorder, capture, exporter or the live view */
static int open_sink(struct tracer *t)
{
	struct zt_sink_args a = { .path = env.record ? env.capture_path : env.prom_path, .flight_n = env.flight_n,
				  .flight_dumps = env.flight_n ? env.rotate_files : 0,
				  .json = env.json, .timestamp = env.timestamp, .realtime_off = t->realtime_off,
				  .meta = &t->meta, .snapshot = snapshot_now, .snapshot_ctx = t,
				  .rotate_bytes = env.rotate_bytes, .rotate_files = env.rotate_files,
				  .read_queues = read_queues_again };

	run_facts(t);
	t->sink = env.record && env.flight_n ? zt_sink_flight_new(&a)
		: env.record		      ? zt_sink_record_new(&a)
		: env.prom_path		      ? zt_sink_prom_new(&a)
					      : zt_sink_live_new(&a);
	if (!t->sink)
		return -ENOMEM;
	return t->sink->start ? t->sink->start(t->sink) : 0;
}

/* trace until the duration ends or a signal comes, then finish the sink with the last snapshot */
static int trace(struct tracer *t)
{
	struct zt_snapshot s;
	int err;

	uint64_t t_queues = mono_ns();

	read_queues_at_start(t);
	t_queues = mono_ns() - t_queues;
	started = 1; /* from here SIGINT and SIGTERM end the loop and every output is finished */
	zt_startwatch_end();
	t->realtime_off = realtime_offset_ns();
	err = open_sink(t);
	if (err)
		return err;
	if (env.verbose)
		fprintf(stderr, "zpcitrace: ready %.1f ms after the start (the queues read in %.1f ms)\n",
			(mono_ns() - t_main) / 1e6, t_queues / 1e6);
	fprintf(stderr, "Tracing zPCI error events... Hit Ctrl-C to end.\n");
	t->watchdog_usec = zt_watchdog_usec();
	service(t, "READY=1\n"); /* active from here: a unit's start waits for it */
	if (env.log_losses)
		zt_losslog_init(&t->losslog, stderr, zt_stderr_is_journal(), ZT_LOSSLOG_UNREAD_S);
	err = trace_loop(t);
	zt_notify("STOPPING=1");
	if (env.log_losses)
		zt_losslog_end(&t->losslog);
	snapshot(t, &s, true);
	err = t->sink->finish(t->sink, &s) ?: err;
	if (env.verbose) /* per-program cost; counted while kernel.bpf_stats_enabled=1 */
		zt_attach_prog_stats(t->attach, stderr);
	return err;
}

/* the libraries in this build, for --version: security teams track embedded copies (the static s390x build
 * holds them all; a native build names those it runs with, libelf's as built against) */
static void version_libraries(void)
{
	static char text[160];
	const char *bpf = libbpf_version_string();

	snprintf(text, sizeof(text), "%s libbpf %s, libelf 0.%d, zlib %s, zstd %s",
#ifdef ZT_STATIC
		 "built in:",
#else
		 "libraries:",
#endif
		 bpf[0] == 'v' ? bpf + 1 : bpf, _ELFUTILS_VERSION, zlibVersion(), ZSTD_versionString());
	zt_version_libraries = text;
}

int main(int argc, char **argv)
{
	static struct tracer t;
	struct sigaction sa = { .sa_handler = on_signal };
	int err, status;

	t_main = mono_ns();
	program_invocation_name = program_invocation_short_name = "zpcitrace"; /* one prefix, however started */
	version_libraries();
	if (argc > 1 && !strcmp(argv[1], "report")) {
		argv[1] = "zpcitrace report";
		return zt_report_main(argc - 1, argv + 1);
	}
	parse(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	zt_corr_init(&t.corr);
	zt_startwatch_begin("zpcitrace", START_NOTICE_S); /* without one, the start goes on unwatched */
	err = start_tracer(&t);
	if (!err)
		err = env.status ? show_status(&t) : trace(&t);
	started = 1;
	zt_startwatch_end();
	if (t.sink)
		t.sink->free(t.sink);
	ring_buffer__free(t.rb);
	/* a permanent failure's own status (a unit does not restart for it), else 1 */
	status = !err ? 0 : zt_attach_exit_status(t.attach) ?: 1;
	zt_attach_free(t.attach);
	zt_corr_free(&t.corr);
	zt_status_free(&t.status);
	zt_vfio_holders_free(&t.holders);
	return status;
}
