// SPDX-License-Identifier: GPL-2.0
/* record -w FILE: every event to a capture as it streams (capture.h), whole lines after each drain; with -C/-W,
 * rotated as tcpdump's -C/-W do: FILE past its size is closed with a trailer, shifted to FILE.1 (FILE.1 to FILE.2,
 * ..., the oldest dropped), and FILE starts anew with the queues as they are, so that each file reads by itself. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "capture.h"
#include "sink.h"
#include "summary.h"

struct record {
	struct zt_sink sink;
	struct zt_capture_writer w;
	bool failing;              /* the newest write failed */
	uint64_t done_written;     /* events written to the files rotated out */
	uint64_t done_unwritten;
	struct zt_losses at_open; /* the run's losses before this file: its trailer counts its own */
	unsigned files;            /* files started */
};

static int record_open(struct record *r)
{
	struct zt_sink *s = &r->sink;
	char why[4200];
	int err = zt_capture_writer_open(&r->w, s->args.path, why, sizeof(why));

	if (!err) {
		r->w.run_file = r->files + 1; /* a report of the set sees a file missing */
		zt_capture_writer_header(&r->w, s->args.meta, 0);
		err = zt_capture_writer_publish(&r->w) ?: r->w.err;
		zt_capture_writer_background(&r->w);
		snprintf(why, sizeof(why), "cannot write %s: %s", s->args.path, strerror(-err));
	}
	if (err)
		fprintf(stderr, "zpcitrace: %s\n", why);
	r->files++;
	return err;
}

/* FILE.N-2 to FILE.N-1, ..., FILE to FILE.1: the oldest is replaced. 0, or -errno when FILE could not move (a
 * new FILE would replace it) */
static int shift_files(const char *path, unsigned long keep)
{
	char from[4096], to[4096];
	int err = 0;

	for (unsigned long i = keep - 1; i >= 1; i--) {
		snprintf(to, sizeof(to), "%s.%lu", path, i);
		if (i > 1)
			snprintf(from, sizeof(from), "%s.%lu", path, i - 1);
		else
			snprintf(from, sizeof(from), "%s", path);
		if (rename(from, to) && errno != ENOENT) {
			if (i == 1) /* an older file that did not move is replaced by the next: said, not fatal */
				err = -errno;
			fprintf(stderr, "zpcitrace: cannot rotate %s to %s: %s\n", from, to, strerror(errno));
		}
	}
	return err;
}

/* a capture that exists is never replaced (the one a restarted recorder left holds the events before the
 * restart): with -C/-W it is shifted into the rotation, else kept as FILE.N after the others */
static int record_start(struct zt_sink *s)
{
	struct stat st;
	char why[4300];

	if (s->args.rotate_bytes && !zt_out_is_stdout(s->args.path) && !lstat(s->args.path, &st) &&
	    S_ISREG(st.st_mode)) {
		if (shift_files(s->args.path, s->args.rotate_files)) {
			fprintf(stderr, "zpcitrace: %s exists and cannot be shifted to %s.1: refusing to replace it\n",
				s->args.path, s->args.path);
			return -EEXIST;
		}
		fprintf(stderr, "zpcitrace: %s exists: shifted to %s.1\n", s->args.path, s->args.path);
	} else if (!s->args.rotate_bytes && zt_capture_keep_existing(s->args.path, why, sizeof(why))) {
		fprintf(stderr, "zpcitrace: %s: refusing to replace it\n", why);
		return -EEXIST;
	}
	return record_open((struct record *)s);
}

/* this file's end: the trailer, with the ring buffer's losses while it was the current file */
static int record_close(struct record *r, const struct zt_snapshot *snap, const char *reason)
{
	struct zt_snapshot own = *snap;

	for (int i = 0; i < ZT_NR_LOSSES; i++)
		own.losses.n[i] = snap->losses.n[i] - r->at_open.n[i];
	zt_capture_writer_trailer(&r->w, &own, reason, NULL);
	return zt_capture_writer_close(&r->w);
}

static void rotate(struct record *r)
{
	struct zt_sink *s = &r->sink;
	struct zt_snapshot snap;
	int err;

	s->args.snapshot(s->args.snapshot_ctx, &snap);
	err = record_close(r, &snap, "rotate");
	r->done_written += r->w.written;
	r->done_unwritten += r->w.unwritten;
	r->w.written = r->w.unwritten = 0; /* counted once, whether or not a new file follows */
	if (err)
		fprintf(stderr, "zpcitrace: closing %s for rotation: %s\n", s->args.path, strerror(-err));
	if (shift_files(s->args.path, s->args.rotate_files)) {
		fprintf(stderr, "zpcitrace: %s stays as it is: nothing more is written, the events are counted\n",
			s->args.path);
		return;
	}
	r->at_open = snap.losses;
	r->failing = false;
	if (!record_open(r) && s->args.read_queues)
		s->args.read_queues(s->args.snapshot_ctx);
}

static void record_event(struct zt_sink *s, const struct zt_event *e, const struct zt_match *note)
{
	struct record *r = (struct record *)s;

	if (r->w.fd < 0) { /* a rotation left no file to write: counted, never dropped silently */
		r->done_unwritten++;
		return;
	}
	zt_capture_writer_event_owner(&r->w, e, s->args.realtime_off, note ? note->owner : NULL);
}

/* whole lines, written by the writer's thread while the next batch forms: a kill -9 loses at most this batch and
 * the one before it (SIGINT and SIGTERM write everything). A failed write is said when it starts and when writes work
 * again, with the events lost meanwhile (the file is cut back to its last whole line) */
static uint64_t mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void record_drained(struct zt_sink *s, bool sigusr1)
{
	struct record *r = (struct record *)s;
	struct zt_capture_progress p;
	int err = zt_capture_writer_send(&r->w, &p);

	(void)sigusr1;
	if (err && !r->failing)
		fprintf(stderr, "zpcitrace: writing %s failed: %s; events are lost until it works again%s\n",
			s->args.path, strerror(-err), p.dead ? " (it cannot: nothing more is written)" : "");
	else if (!err && r->failing)
		fprintf(stderr, "zpcitrace: writing %s works again; %llu events could not be written\n", s->args.path,
			(unsigned long long)p.unwritten);
	r->failing = err != 0;
	s->out = (struct zt_output_state){ "capture", err ? s->out.written_ns : mono_now_ns(), err };
	if (s->args.rotate_bytes && r->w.fd >= 0 && (unsigned long long)p.whole >= s->args.rotate_bytes)
		rotate(r);
}

/* the capture's end, with the same snapshot the summary shows */
static int record_finish(struct zt_sink *s, const struct zt_snapshot *snap)
{
	struct record *r = (struct record *)s;
	struct zt_capture_writer *w = &r->w;
	int err = w->fd >= 0 ? record_close(r, snap, "exit") : -EIO; /* a rotation left no file to write */
	unsigned long long written = r->done_written + w->written, unwritten = r->done_unwritten + w->unwritten;
	char files[96] = "";

	if (r->files > 1)
		snprintf(files, sizeof(files), " and the %u files rotated before it (%lu kept)", r->files - 1,
			 s->args.rotate_files);
	if (err)
		fprintf(stderr, "zpcitrace: %llu events written to %s%s; %llu could not be written (%s)%s\n", written,
			s->args.path, files, unwritten, strerror(-err), unwritten || !written ? "" : ", nor the trailer");
	else
		fprintf(stderr, "zpcitrace: %llu events written to %s%s\n", written, s->args.path, files);
	return zt_summary_end(snap, false) ?: err;
}

static void record_free(struct zt_sink *s)
{
	struct record *r = (struct record *)s;

	if (r->w.fd >= 0)
		zt_capture_writer_close(&r->w); /* a start that failed after the open */
	free(r);
}

struct zt_sink *zt_sink_record_new(const struct zt_sink_args *a)
{
	struct record *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->sink = (struct zt_sink){ .start = record_start, .event = record_event, .drained = record_drained,
				    .finish = record_finish, .free = record_free, .args = *a };
	r->w.fd = -1;
	return &r->sink;
}
