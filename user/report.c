// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "args.h"
#include "atomic.h"
#include "capture.h"
#include "captures.h"
#include "correlate.h"
#include "format.h"
#include "perfetto.h"
#include "report.h"
#include "summary.h"
#include "text.h"

#define DAY_NS 86400000000000ULL
#define MAX_OFFSET_S (86400ULL * 366 * 100) /* +SECONDS: a century */

static const char doc[] =
	"Summarise captures made by 'zpcitrace record', on any machine: the same\n"
	"summary the live run printed, for the whole capture or the part the\n"
	"filters select; with --events, its events first, as the live view prints\n"
	"them. Damaged lines are skipped and counted, never fatal.\n"
	"FILE... are one run's files in any order (a rotated set), '-' is stdin,\n"
	"gzip and zstd are read as they are; a run's captures are read as one,\n"
	"different runs are reported one after the other.\n"
	"\vT is seconds from the capture's first event (+12.5), a UTC time of day\n"
	"(04:13:38.5: the one within the capture, also across midnight), or a UTC\n"
	"date and time (2026-12-02T04:13:38.5) where the capture spans days.\n"
	"FID is decimal or 0x hex. OUT '-' is stdout (the summary goes to stderr).\n"
	"\n"
	"Exit status: 0 a sound capture (or one still being recorded), 3 a damaged\n"
	"one (cut short, lines skipped, events unwritten: the summary says what),\n"
	"4 one whose trailer's count disagrees with its lines (lines deleted or\n"
	"repeated), 2 not a readable capture (or one file twice), 1 an empty\n"
	"selection or an output error, 64 a usage error. Of several runs, the\n"
	"worst.\n"
	"\n"
	"EXAMPLES:\n"
	"  zpcitrace report errors.jsonl\n"
	"  zpcitrace report /var/lib/zpcitrace/capture.jsonl*\n"
	"  zstdcat case-1234.jsonl.zst | zpcitrace report --events -\n"
	"  zpcitrace report --fid 0x12 --since +60 errors.jsonl\n"
	"  zpcitrace report --since 23:55 --until 00:10 errors.jsonl\n"
	"  zpcitrace report --events --no-summary --fid 0x12 errors.jsonl | grep lost=1\n"
	"  zpcitrace report --events -j errors.jsonl | jq 'select(.rc_name==\"EFAULT\")'\n"
	"  zpcitrace report --perfetto timeline.json errors.jsonl  # ui.perfetto.dev\n";

enum { OPT_SINCE = 0x100, OPT_UNTIL, OPT_FID, OPT_PERFETTO, OPT_NO_SUMMARY };

static const struct argp_option options[] = {
	{ "since", OPT_SINCE, "T", 0, "Only events at or after T", 0 },
	{ "until", OPT_UNTIL, "T", 0, "Only events at or before T", 0 },
	{ "fid", OPT_FID, "FID", 0, "Only this function id", 0 },
	{ "events", 'e', NULL, 0, "The selected events first, a line each, as the live view prints them (with their UTC "
				  "time; -j: its JSON lines, a start object first)", 0 },
	{ "no-summary", OPT_NO_SUMMARY, NULL, 0, "With --events: the events only", 0 },
	{ "json", 'j', NULL, 0, "The summary (and the events) as JSON", 0 },
	{ "perfetto", OPT_PERFETTO, "OUT", 0, "Also write a Chrome trace-event timeline (ui.perfetto.dev)", 0 },
	ZT_ARGS_STD,
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct zt_report_opts *o = state->input;

	switch (key) {
	case OPT_SINCE:
		zt_once("report", "--since", o->since_arg);
		o->since_arg = arg;
		break;
	case OPT_UNTIL:
		zt_once("report", "--until", o->until_arg);
		o->until_arg = arg;
		break;
	case OPT_FID:
		zt_once("report", "--fid", o->fid_on ? "" : NULL);
		if (zt_parse_fid(arg, &o->fid))
			zt_usage_error("report", "--fid: '%s' is not a function id (decimal or 0x hex, to 0xffffffff)", arg);
		o->fid_on = true;
		break;
	case 'j':
		o->json = true;
		break;
	case 'e':
		o->events = true;
		break;
	case OPT_NO_SUMMARY:
		o->no_summary = true;
		break;
	case OPT_PERFETTO:
		zt_once("report", "--perfetto", o->perfetto);
		if (!*arg)
			zt_usage_error("report", "--perfetto: an empty file name ('-' is stdout)");
		o->perfetto = arg;
		break;
	case ARGP_KEY_ARG:
		if (!*arg)
			zt_usage_error("report", "an empty capture FILE name");
		if (o->nfiles >= ZT_REPORT_MAX_FILES)
			zt_usage_error("report", "more than %d capture files", ZT_REPORT_MAX_FILES);
		for (size_t i = 0; i < o->nfiles; i++)
			if (!strcmp(o->files[i], arg) && !strcmp(arg, "-"))
				zt_usage_error("report", "'-' (stdin) given twice");
		o->files[o->nfiles++] = arg;
		break;
	case ARGP_KEY_END:
		if (!o->nfiles)
			zt_usage_error("report", "which capture? zpcitrace report FILE... ('-' reads stdin)");
		if (o->json && o->perfetto && !strcmp(o->perfetto, "-"))
			zt_usage_error("report", "-j and --perfetto - both want stdout");
		if (o->events && o->perfetto && !strcmp(o->perfetto, "-"))
			zt_usage_error("report", "--events and --perfetto - both want stdout");
		if (o->no_summary && !o->events)
			zt_usage_error("report", "--no-summary goes with --events: without them there is nothing to print");
		break;
	case ARGP_KEY_ERROR:
		zt_bad_word("report", options, state->argv, state->argc, state->next);
	default:
		zt_std_option(key, state);
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* HH:MM:SS[.frac] as ns into the day; *end where it stops. 0 or -1 */
static int time_of_day(const char *arg, uint64_t *ns, const char **end)
{
	unsigned long h, m;
	uint64_t sec;
	char *e;

	if (arg[0] < '0' || arg[0] > '9' || (h = strtoul(arg, &e, 10)) > 23 || e - arg > 2 || *e != ':')
		return -1;
	arg = e + 1;
	if (arg[0] < '0' || arg[0] > '9' || (m = strtoul(arg, &e, 10)) > 59 || e - arg != 2 || *e != ':')
		return -1;
	arg = e + 1;
	if (arg[0] < '0' || arg[0] > '9' || arg[1] < '0' || arg[1] > '9' || zt_parse_seconds_ns(arg, 60, &sec, end))
		return -1;
	*ns = (h * 3600 + m * 60) * 1000000000ull + sec;
	return 0;
}

/* YYYY-MM-DD[T ]HH:MM:SS[.frac] UTC as wall-clock ns. 0 or -1 */
static int date_time(const char *arg, long long *wall)
{
	struct tm tm = { 0 };
	uint64_t tod;
	const char *end;
	int n = 0;

	if (sscanf(arg, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 || n != 10 ||
	    (arg[10] != 'T' && arg[10] != ' ') || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_year < 1970 || tm.tm_year > 2200 || time_of_day(arg + 11, &tod, &end) || *end)
		return -1;
	int year = tm.tm_year, mon = tm.tm_mon, mday = tm.tm_mday;
	time_t t;

	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	/* timegm carries 02-31 into March: a day the month lacks is refused */
	if (tm.tm_year + 1900 != year || tm.tm_mon + 1 != mon || tm.tm_mday != mday)
		return -1;
	*wall = (long long)t * 1000000000LL + (long long)tod;
	return 0;
}

static uint64_t to_mono(long long wall, long long realtime_off)
{
	long long mono;

	if (__builtin_sub_overflow(wall, realtime_off, &mono))
		return realtime_off > 0 ? 0 : UINT64_MAX;
	return mono < 0 ? 0 : (uint64_t)mono;
}

int zt_report_time(const char *arg, uint64_t first_ns, uint64_t from_ns, uint64_t to_ns, long long realtime_off,
		   uint64_t *out, char *why, size_t whylen)
{
	const char *end;
	uint64_t ns, tod;
	long long wall;

	if (arg[0] == '+') {
		if (zt_parse_seconds_ns(arg + 1, MAX_OFFSET_S, &ns, &end) || *end)
			goto bad;
		*out = first_ns + ns;
		return 0;
	}
	if (!date_time(arg, &wall)) {
		*out = to_mono(wall, realtime_off);
		return 0;
	}
	if (time_of_day(arg, &tod, &end) || *end)
		goto bad;
	/* the time of day within [from, to] (on from's day or a later one); where none is, the one nearest it */
	long long from_wall = zt_wall_ns(from_ns, realtime_off), to_wall = zt_wall_ns(to_ns, realtime_off);
	long long day = from_wall - ((from_wall % (long long)DAY_NS) + (long long)DAY_NS) % (long long)DAY_NS;
	long long pick = 0, best = LLONG_MAX;
	int within = 0;

	if (to_wall < from_wall) /* --until's from is --since, which may lie beyond the capture */
		to_wall = from_wall;
	if (from_wall < -(long long)(MAX_OFFSET_S * 1000000000ULL) || to_wall > (long long)(MAX_OFFSET_S * 1000000000ULL))
		goto bad_range;
	/* from the day before from's to the day after to's: a capture of many days has one candidate a day */
	for (long long c = day - (long long)DAY_NS + (long long)tod; c <= to_wall + (long long)DAY_NS; c += (long long)DAY_NS) {
		long long dist = c < from_wall ? from_wall - c : c > to_wall ? c - to_wall : 0;

		if (!dist && within++)
			break;
		if (dist < best) {
			best = dist;
			pick = c;
		}
	}
	if (within > 1) {
		snprintf(why, whylen, "'%s' occurs on more than one day of the capture: give the date, "
			 "YYYY-MM-DDTHH:MM:SS", arg);
		return -1;
	}
	*out = to_mono(pick, realtime_off);
	return 0;
bad_range:
	snprintf(why, whylen, "'%s': the capture's times are out of range", arg);
	return -1;
bad:
	snprintf(why, whylen, "'%s' is not +SECONDS, HH:MM:SS[.frac] or YYYY-MM-DDTHH:MM:SS[.frac]", arg);
	return -1;
}

/* the selection is empty: one line that says why */
static void say_empty(const struct zt_report_opts *o, const struct zt_capture *c, const char *file, uint64_t since,
		      uint64_t until, FILE *err)
{
	char a[32], b[32];
	bool fid_seen = false;

	for (size_t i = 0; i < c->nevents && o->fid_on && !fid_seen; i++)
		fid_seen = c->events[i].has_fn && c->events[i].fid == o->fid;
	if (o->fid_on && !fid_seen) {
		fprintf(err, "zpcitrace: %s: the selection is empty: function 0x%08x has no events in the capture\n", file,
			o->fid);
	} else if (since > until) {
		fprintf(err, "zpcitrace: %s: the selection is empty: --until is before --since\n", file);
	} else {
		zt_wall_time(c->events[0].ts_ns, c->meta.realtime_off, a, sizeof(a));
		zt_wall_time(c->events[c->nevents - 1].ts_ns, c->meta.realtime_off, b, sizeof(b));
		fprintf(err, "zpcitrace: %s: the selection is empty: no events%s in that time (the capture's run from %s "
			     "to %s UTC)\n", file, o->fid_on ? " of that function" : "", a, b);
	}
}

/* one line on stderr for a damaged capture (its summary has the details), or one still being recorded */
static void say_gaps(const char *file, const struct zt_capture_gaps *g, FILE *err)
{
	const char *sep = "";

	if (!zt_capture_gaps_damaged(g)) {
		if (g->live)
			fprintf(err, "zpcitrace: %s is still being recorded: read to its last whole line\n", file);
		return;
	}
	fprintf(err, "zpcitrace: %s is damaged:", file);
#define PART(...) (fprintf(err, "%s ", sep), fprintf(err, __VA_ARGS__), sep = ";")
	if (g->count_mismatch)
		PART("its trailer counts %llu events, %llu were read (lines deleted or repeated)",
		     (unsigned long long)g->trailer_events, (unsigned long long)g->event_lines);
	if (g->shrank)
		PART("it was cut short while it was read");
	if (g->cut && !g->live)
		PART("cut short (no trailer: the recording was killed or the disk filled)");
	if (g->cut_bytes && !g->live)
		PART("%llu bytes of a partial last line ignored", (unsigned long long)g->cut_bytes);
	if (g->skipped_lines)
		PART("%llu damaged lines skipped (the first, line %llu: %s)", (unsigned long long)g->skipped_lines,
		     (unsigned long long)g->first_skipped_line, g->first_skipped_why);
	if (g->unwritten)
		PART("%llu events could not be written by the recorder", (unsigned long long)g->unwritten);
	if (g->missing_files)
		PART("%llu of the run's files between those given are missing", (unsigned long long)g->missing_files);
#undef PART
	fputc('\n', err);
}

static int write_perfetto(const struct zt_report_opts *o, const struct zt_capture *c, size_t n,
			  const struct zt_perfetto_ctx *ctx, FILE *err)
{
	struct zt_out out;
	char why[4200];
	FILE *f;
	int rc;

	for (size_t i = 1; i < o->nfiles; i++)
		if (zt_same_file(o->perfetto, o->files[i])) {
			fprintf(err, "zpcitrace: --perfetto %s is one of the captures read: refusing to replace it\n",
				o->perfetto);
			return 1;
		}
	if (zt_out_open(&out, o->perfetto, o->files[0], why, sizeof(why))) {
		fprintf(err, "zpcitrace: %s\n", why);
		return 1;
	}
	zt_out_remove_on_signal(&out); /* an interrupted timeline leaves no hidden temporary file */
	f = out.is_stdout ? stdout : fdopen(dup(out.fd), "w");
	rc = !f || zt_perfetto_write(f, c->events, n, ctx) || fflush(f) || ferror(f) ? -(errno ?: EIO) : 0;
	if (f && f != stdout)
		fclose(f);
	rc = zt_out_commit(&out, rc);
	zt_out_remove_on_signal(NULL);
	if (rc)
		fprintf(err, "zpcitrace: cannot write %s: %s%s\n", o->perfetto, strerror(-rc),
			out.is_stdout ? "" : "; nothing written");
	return rc ? 1 : 0;
}

/* the capture's end: its trailer's, or its newest event */
static uint64_t capture_end(const struct zt_capture *c)
{
	uint64_t end = c->has_trailer ? c->ended_ns : 0;

	for (size_t i = 0; i < c->nevents; i++)
		if (c->events[i].ts_ns > end)
			end = c->events[i].ts_ns;
	return end;
}

/* --since and --until as CLOCK_MONOTONIC ns; ZT_EXIT_USAGE after saying why */
static int window(const struct zt_report_opts *o, const struct zt_capture *c, uint64_t *since, uint64_t *until,
		  FILE *err)
{
	uint64_t first = c->nevents ? c->events[0].ts_ns : 0, end = capture_end(c);
	char why[256];

	if ((o->since_arg && zt_report_time(o->since_arg, first, first, end, c->meta.realtime_off, since, why,
					    sizeof(why))) ||
	    (o->until_arg && zt_report_time(o->until_arg, first, o->since_arg ? *since : first, end,
					    c->meta.realtime_off, until, why, sizeof(why)))) {
		fprintf(err, "zpcitrace: --since/--until: %s (see zpcitrace report --help)\n", why);
		return ZT_EXIT_USAGE;
	}
	return 0;
}

/* the correlator fed as the window asks: every event of the selected function up to --until, counted from
 * --since on (what came before feeds the queue model only, so a dequeue of an error stored before the window
 * matches). The selected events stay, in order, at the front of c->events (the timeline's); how many. With tl,
 * what each selected event matched and whether its function is drawn, for the timeline: the one correlation */
static size_t correlate(const struct zt_report_opts *o, struct zt_capture *c, uint64_t since, uint64_t until,
			struct zt_corr *corr, uint64_t *last, struct zt_perfetto_ctx *tl)
{
	struct zt_match *notes = tl ? calloc(c->nevents ? c->nevents : 1, sizeof(*notes)) : NULL;
	bool *drawn = tl ? calloc(c->nevents ? c->nevents : 1, sizeof(*drawn)) : NULL;
	bool started = !o->since_arg;
	size_t n = 0, own = 0;

	zt_corr_init(corr);
	if (tl && (!notes || !drawn)) { /* said by the caller: no timeline without them */
		free(notes);
		free(drawn);
		tl->notes = NULL;
		tl = NULL;
	}
	for (size_t i = 0; i < c->nevents; i++) {
		const struct zt_event *e = &c->events[i];
		struct zt_match note;

		if (o->fid_on && (!e->has_fn || e->fid != o->fid))
			continue;
		if (e->ts_ns > until)
			break;
		if (!started && e->ts_ns >= since) {
			zt_corr_window_start(corr, since);
			started = true;
		}
		zt_corr_add(corr, e, &note);
		/* an open's owner, and the one found at the start (the capture's owner lines) */
		while (own < c->nowners && c->owners[own].event < i)
			own++;
		if (own < c->nowners && c->owners[own].event == i && e->has_fn) {
			zt_corr_owner(corr, e->fid, &c->owners[own].owner);
			note.owner = &c->owners[own].owner;
		}
		if (e->ts_ns < since)
			continue;
		if (tl) {
			notes[n] = note;
			drawn[n] = e->has_fn && zt_corr_fn(corr, e->fid);
		}
		c->events[n++] = *e;
		if (e->ts_ns > *last)
			*last = e->ts_ns;
	}
	if (!started)
		zt_corr_window_start(corr, since);
	if (tl) {
		tl->notes = notes;
		tl->drawn = drawn;
		tl->corr = corr;
	}
	return n;
}

/* --events: the selected events as the live view prints them (the queues' headers read at start aside, as
 * there), with their UTC time; -j: its JSON lines, the run's start object first. What each matched is the
 * report's one correlation's (tl) */
static void print_events(const struct zt_report_opts *o, const struct zt_capture *c, size_t n,
			 const struct zt_perfetto_ctx *tl, FILE *out)
{
	const struct zt_format_opts fo = { .timestamp = true, .realtime_off = c->meta.realtime_off };
	char line[1024];

	if (o->json)
		zt_start_json(&c->meta, out);
	for (size_t i = 0; i < n; i++) {
		if (c->events[i].type == ZT_EV_QUEUE)
			continue;
		if (o->json)
			zt_format_event_json(&c->events[i], &tl->notes[i], &fo, line, sizeof(line));
		else
			zt_format_event(&c->events[i], &tl->notes[i], &fo, line, sizeof(line));
		fputs(line, out);
		fputc('\n', out);
	}
}

/* the summary of the window, and the timeline; the exit status. end: the capture's end */
static int summarise(const struct zt_report_opts *o, struct zt_capture *c, struct zt_corr *corr, size_t n,
		     uint64_t last, uint64_t end, uint64_t until, struct zt_perfetto_ctx *pctx, FILE *out, FILE *err)
{
	FILE *summary_out = o->perfetto && !strcmp(o->perfetto, "-") ? err : out;
	int rc = 0;

	/* the observation ends at --until, within the capture: time at full depth and waits run to there */
	struct zt_snapshot s;

	zt_capture_snapshot(c, corr, o->until_arg ? (until < end ? until : end) : end, &s);
	if (s.now_ns < last)
		s.now_ns = last;
	if ((o->events || o->perfetto) && !pctx->notes) {
		fprintf(err, "zpcitrace: out of memory for what each of %zu events matched\n", c->nevents);
		return 1;
	}
	if (o->events)
		print_events(o, c, n, pctx, out);
	if (!o->no_summary && o->json)
		zt_summary_json(&s, summary_out);
	else if (!o->no_summary)
		zt_summary_text(&s, summary_out);
	if (fflush(out) || ferror(out) || fflush(summary_out) || ferror(summary_out)) {
		fprintf(err, "zpcitrace: cannot write the %s: %s\n", o->events ? "events" : "summary",
			strerror(errno ?: EIO));
		rc = 1;
	}
	pctx->realtime_off = c->meta.realtime_off;
	pctx->end_ns = s.now_ns;
	pctx->losses = &c->losses;
	pctx->gaps = &c->gaps;
	if (!rc && o->perfetto)
		rc = write_perfetto(o, c, n, pctx, err);
	return rc;
}

/* one run's report; the exit status, or -1 for an empty selection (said) */
static int report_run(const struct zt_report_opts *o, struct zt_capture_run *r, FILE *out, FILE *err)
{
	struct zt_capture *c = &r->c;
	uint64_t since = 0, until = UINT64_MAX, last = 0, end;
	struct zt_perfetto_ctx timeline = { 0 };
	struct zt_corr corr;
	size_t n;
	int rc = window(o, c, &since, &until, err);

	if (rc)
		return rc;
	say_gaps(r->files, &c->gaps, err);
	end = capture_end(c);
	n = correlate(o, c, since, until, &corr, &last, o->perfetto || o->events ? &timeline : NULL);
	if (!n && (o->fid_on || o->since_arg || o->until_arg) && (c->nevents || o->fid_on)) {
		if (c->nevents)
			say_empty(o, c, r->files, since, until, err);
		else
			fprintf(err, "zpcitrace: %s: the selection is empty: the capture holds no events\n", r->files);
		rc = -1;
	} else {
		rc = summarise(o, c, &corr, n, last, end, until, &timeline, out, err);
	}
	free((void *)timeline.notes);
	free((void *)timeline.drawn);
	zt_corr_free(&corr);
	if (!rc && c->gaps.count_mismatch)
		rc = ZT_REPORT_EXIT_MISMATCH;
	else if (!rc && zt_capture_gaps_damaged(&c->gaps))
		rc = 3;
	return rc;
}

/* several runs: each reported by itself, a line on stderr before each */
static void heading(const struct zt_capture_set *set, size_t i, FILE *err)
{
	const struct zt_capture_run *r = &set->runs[i];
	const struct zt_capture *c = &r->c;
	char from[32] = "-", to[32] = "-";

	if (c->nevents) {
		zt_rfc3339(c->events[0].ts_ns, c->meta.realtime_off, from, sizeof(from));
		zt_rfc3339(capture_end(c), c->meta.realtime_off, to, sizeof(to));
	}
	fprintf(err, "zpcitrace: run %zu of %zu (host %s, %s to %s): %s\n", i + 1, set->nruns, c->meta.hostname, from,
		to, r->files);
	fflush(err);
}

/* of two runs' exit statuses, the one to exit with */
static int worse(int a, int b)
{
	static const int order[] = { ZT_EXIT_USAGE, ZT_REPORT_EXIT_MISMATCH, 3, 1 };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (a == order[i] || b == order[i])
			return order[i];
	return 0;
}

int zt_report_run(const struct zt_report_opts *o, FILE *out, FILE *err)
{
	struct zt_capture_set set;
	char why[4400];
	int rc = 0, empty = 0;

	if (zt_capture_set_read(o->files, o->nfiles, &set, why, sizeof(why))) {
		fprintf(err, "zpcitrace: %s\n", why);
		return 2;
	}
	if (set.nruns > 1 && o->perfetto) {
		fprintf(err, "zpcitrace: the captures hold %zu runs: --perfetto draws one (give one run's files)\n",
			set.nruns);
		zt_capture_set_free(&set);
		return 2;
	}
	if (set.nruns > 1)
		fprintf(err, "zpcitrace: the captures hold %zu runs (different hosts or recorder starts): each is "
			     "reported by itself\n", set.nruns);
	for (size_t i = 0; i < set.nruns; i++) {
		int one;

		if (set.nruns > 1) {
			heading(&set, i, err);
			if (i && !o->json) /* a blank line between the runs' texts */
				fputc('\n', out);
		}
		one = report_run(o, &set.runs[i], out, err);
		empty += one < 0;
		rc = worse(rc, one);
		if (rc == ZT_EXIT_USAGE) /* --since or --until that no run reads */
			break;
	}
	if (!rc && empty == (int)set.nruns)
		rc = 1;
	zt_capture_set_free(&set);
	return rc;
}

int zt_report_main(int argc, char **argv)
{
	static const struct argp argp = { .options = options, .parser = parse_arg, .doc = doc, .args_doc = "FILE..." };
	struct zt_report_opts o = { 0 };

	if (argp_parse(&argp, argc, argv, ARGP_NO_ERRS | ARGP_NO_HELP, NULL, &o))
		zt_usage_error("report", "bad command line");
	return zt_report_run(&o, stdout, stderr);
}
