// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "args.h"
#include "capture.h"
#include "correlate.h"
#include "perfetto.h"
#include "report.h"
#include "summary.h"

static struct {
	const char *file, *perfetto, *since_arg, *until_arg;
	bool json, fid_on;
	uint32_t fid;
} opt;

static const char doc[] =
	"Summarise a capture made by 'zpcitrace record', on any machine: the same summary the live run\n"
	"printed, for the whole capture or the part the filters select.\n"
	"\n"
	"USAGE: zpcitrace report [--since T] [--until T] [--fid FID] [-j] [--perfetto OUT.json] FILE\n"
	"\n"
	"T is seconds from the capture's first event (+12.5), or a UTC time of day (04:13:38.5).\n"
	"\n"
	"EXAMPLES:\n"
	"    zpcitrace report errors.jsonl\n"
	"    zpcitrace report --fid 0x12 --since +60 errors.jsonl\n"
	"    zpcitrace report --perfetto timeline.json errors.jsonl   # open in ui.perfetto.dev\n";

enum { OPT_SINCE = 0x100, OPT_UNTIL, OPT_FID, OPT_PERFETTO };

static const struct argp_option options[] = {
	{ "since", OPT_SINCE, "T", 0, "Only events at or after T", 0 },
	{ "until", OPT_UNTIL, "T", 0, "Only events at or before T", 0 },
	{ "fid", OPT_FID, "FID", 0, "Only this function id", 0 },
	{ "json", 'j', NULL, 0, "The summary as one JSON object", 0 },
	{ "perfetto", OPT_PERFETTO, "OUT.json", 0, "Also write a Chrome trace-event timeline (ui.perfetto.dev)", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_SINCE:
		opt.since_arg = arg;
		break;
	case OPT_UNTIL:
		opt.until_arg = arg;
		break;
	case OPT_FID:
		if (zt_parse_fid(arg, &opt.fid))
			argp_error(state, "--fid: '%s' is not a function id (0 to 0xffffffff)", arg);
		opt.fid_on = true;
		break;
	case 'j':
		opt.json = true;
		break;
	case OPT_PERFETTO:
		opt.perfetto = arg;
		break;
	case ARGP_KEY_ARG:
		if (opt.file)
			argp_error(state, "one capture FILE at a time");
		opt.file = arg;
		break;
	case ARGP_KEY_END:
		if (!opt.file)
			argp_error(state, "which capture? zpcitrace report FILE");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* T: "+SECONDS" from the first event, or "HH:MM:SS[.frac]" UTC on the day of the first event */
static int parse_time(const char *arg, const struct zt_capture *c, uint64_t *out)
{
	uint64_t first = c->nevents ? c->events[0].ts_ns : 0;
	char *end;

	if (arg[0] == '+') {
		double s = strtod(arg + 1, &end);

		if (end == arg + 1 || *end || s < 0)
			return -1;
		*out = first + (uint64_t)(s * 1e9);
		return 0;
	}
	int h, m;
	double sec;
	char tail;

	if (sscanf(arg, "%d:%d:%lf%c", &h, &m, &sec, &tail) != 3 || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 ||
	    sec >= 61)
		return -1;
	long long wall_first = (long long)first + c->meta.realtime_off;
	long long day = wall_first / 86400000000000LL * 86400000000000LL;
	long long wall = day + (long long)((h * 3600 + m * 60) * 1e9 + sec * 1e9);
	long long mono = wall - c->meta.realtime_off;

	*out = mono < 0 ? 0 : (uint64_t)mono;
	return 0;
}

static const struct zt_capture *current;

static void ident(const struct zt_fn *f, struct zt_ident *id)
{
	zt_capture_ident(current, f, id);
}

int zt_report_main(int argc, char **argv)
{
	static const struct argp argp = { .options = options, .parser = parse_arg, .doc = doc };
	struct zt_capture c;
	struct zt_corr corr;
	uint64_t since = 0, until = UINT64_MAX, last = 0;
	char err[256];

	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 1;
	if (zt_capture_read(opt.file, &c, err, sizeof(err))) {
		fprintf(stderr, "zpcitrace: %s: %s\n", opt.file, err);
		return 2;
	}
	const char *bad = opt.since_arg && parse_time(opt.since_arg, &c, &since) ? opt.since_arg
			: opt.until_arg && parse_time(opt.until_arg, &c, &until) ? opt.until_arg : NULL;
	if (bad) {
		fprintf(stderr, "zpcitrace: --since/--until: '%s' is not +SECONDS or HH:MM:SS\n", bad);
		zt_capture_free(&c);
		return 64;
	}
	if (!c.has_trailer)
		fprintf(stderr, "zpcitrace: %s was cut short (no trailer: the recording was killed or the disk filled)%s",
			opt.file, c.cut_bytes ? "" : "\n");
	if (c.cut_bytes)
		fprintf(stderr, "%s%zu bytes of a partial last line ignored\n", c.has_trailer ? "zpcitrace: " : "; ",
			c.cut_bytes);
	if (c.unwritten)
		fprintf(stderr, "zpcitrace: %llu events could not be written to the capture\n",
			(unsigned long long)c.unwritten);
	if (c.skipped_unknown)
		fprintf(stderr, "zpcitrace: %zu events of kinds this version does not know were skipped\n", c.skipped_unknown);

	/* keep the selected events, in order */
	size_t n = 0;
	for (size_t i = 0; i < c.nevents; i++) {
		const struct zt_event *e = &c.events[i];

		if (e->ts_ns < since || e->ts_ns > until || (opt.fid_on && (!e->has_fn || e->fid != opt.fid)))
			continue;
		c.events[n++] = *e;
		if (e->ts_ns > last)
			last = e->ts_ns;
	}
	zt_corr_init(&corr);
	for (size_t i = 0; i < n; i++)
		zt_corr_add(&corr, &c.events[i], NULL);
	current = &c;
	struct zt_summary s = {
		.corr = &corr,
		.now_ns = c.has_trailer && !opt.until_arg ? c.ended_ns : last,
		.ringbuf_drops = c.ringbuf_lost,
		.hooks = c.meta.hooks,
		.nhooks = c.meta.nhooks,
		.derived = c.meta.derived,
		.histograms = true,
		.ident = ident,
		.realtime_off = c.meta.realtime_off,
		.version = c.meta.zpcitrace,
	};
	if (opt.json)
		zt_summary_json(&s, stdout);
	else
		zt_summary_text(&s, stdout);
	int rc = 0;
	if (opt.perfetto) {
		FILE *f = fopen(opt.perfetto, "we");

		if (!f || zt_perfetto_write(f, c.events, n, c.meta.realtime_off) || fclose(f)) {
			fprintf(stderr, "zpcitrace: cannot write %s: %s\n", opt.perfetto, strerror(errno));
			rc = 1;
		}
	}
	zt_corr_free(&corr);
	zt_capture_free(&c);
	return rc;
}
