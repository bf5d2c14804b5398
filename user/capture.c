// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "atomic.h"
#include "capture.h"
#include "captures.h"
#include "event.h"
#include "text.h"
#include "hooks.h"
#include "json.h"
#include "jsonw.h"

#define WRITE_BUF (256 * 1024)
#define LINE_MAX_LEN ZT_CAPTURE_LINE_MAX

/* ---- writing ---------------------------------------------------------------------------------------- */

static int capw_init(struct zt_capture_writer *w, int fd)
{
	struct stat st;

	w->fd = fd;
	w->seekable = !fstat(fd, &st) && S_ISREG(st.st_mode);
	if (w->seekable)
		w->whole = lseek(fd, 0, SEEK_CUR);
	w->cap = WRITE_BUF;
	w->buf = malloc(w->cap);
	return w->buf ? 0 : -ENOMEM;
}

int zt_capture_writer_open_fd(struct zt_capture_writer *w, int fd)
{
	memset(w, 0, sizeof(*w));
	w->out.fd = -1;
	w->out.is_stdout = true; /* the caller's: never renamed, never closed here */
	return capw_init(w, fd);
}

int zt_capture_writer_open(struct zt_capture_writer *w, const char *path, char *why, size_t whylen)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	err = zt_out_open(&w->out, path, NULL, why, whylen);
	if (err)
		return err;
	err = capw_init(w, w->out.fd);
	if (err) {
		zt_out_abort(&w->out);
		w->fd = -1;
		snprintf(why, whylen, "cannot write %s: %s", path, strerror(-err));
	}
	return err;
}

int zt_capture_writer_publish(struct zt_capture_writer *w)
{
	zt_capture_writer_flush(w);
	/* locked while it is written: a report tells "still being recorded" from "cut short" (advisory, on the
	 * file; dropped when the recorder closes it or dies) */
	if (w->fd >= 0 && !w->out.is_stdout)
		flock(w->fd, LOCK_EX | LOCK_NB);
	return zt_out_publish(&w->out);
}

/* A short write (a full disk) leaves part of a line in the file. Cut the file back to its last whole line, so
 * that what follows, once space comes back, starts on a line of its own; the events of the batch count as
 * unwritten. Where the file cannot be cut (a pipe), nothing more is written. */
static void write_failed(struct zt_capture_writer *w, int err, uint64_t events)
{
	if (!w->err)
		w->err = err;
	w->last_err = err;
	w->unwritten += events;
	if (!w->seekable || ftruncate(w->fd, w->whole) || lseek(w->fd, w->whole, SEEK_SET) != w->whole)
		w->dead = true;
}

static void write_out(struct zt_capture_writer *w, const char *p, size_t n, uint64_t events)
{
	int err;

	if (w->fd < 0)
		return;
	if (w->dead) {
		w->unwritten += events;
		return;
	}
	err = zt_write_all(w->fd, p, n);
	if (err) {
		write_failed(w, err, events);
		return;
	}
	w->whole += (off_t)n;
	w->written += events;
	w->last_err = 0;
}

/* ---- the background writer: double buffering, one batch in flight ---- */

struct zt_capw_thread {
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* a batch handed over, its write done, or stop */
	char *buf;           /* the batch in flight (busy), else the spare buffer */
	size_t len;
	uint64_t events;
	bool busy, stop;
};

static void *background_writer(void *arg)
{
	struct zt_capture_writer *w = arg;
	struct zt_capw_thread *t = w->bg;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (!t->busy && !t->stop)
			pthread_cond_wait(&t->cond, &t->lock);
		if (!t->busy)
			break;
		pthread_mutex_unlock(&t->lock);
		write_out(w, t->buf, t->len, t->events); /* the caller waits for busy to clear before it reads */
		pthread_mutex_lock(&t->lock);
		t->busy = false;
		pthread_cond_broadcast(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static void background_wait(struct zt_capw_thread *t)
{
	pthread_mutex_lock(&t->lock);
	while (t->busy)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

/* the thread, with every signal blocked: they stay the main loop's. false when it cannot start */
static bool background_start(struct zt_capture_writer *w)
{
	struct zt_capw_thread *t = calloc(1, sizeof(*t));
	sigset_t all, old;
	int err;

	if (!t || !(t->buf = malloc(w->cap))) {
		free(t);
		return false;
	}
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	w->bg = t;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&t->tid, NULL, background_writer, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		w->bg = NULL;
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->lock);
		free(t->buf);
		free(t);
	}
	return !err;
}

static void background_stop(struct zt_capture_writer *w)
{
	struct zt_capw_thread *t = w->bg;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->tid, NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t->buf);
	free(t);
	w->bg = NULL;
}

void zt_capture_writer_background(struct zt_capture_writer *w)
{
	w->background = true;
}

/* the buffered lines to the thread, once the batch before them is written: buf becomes the spare */
static void background_hand_over(struct zt_capture_writer *w)
{
	struct zt_capw_thread *t = w->bg;
	char *spare;

	pthread_mutex_lock(&t->lock);
	spare = t->buf;
	t->buf = w->buf;
	t->len = w->len;
	t->events = w->buffered;
	t->busy = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	w->buf = spare;
	w->len = 0;
	w->buffered = 0;
}

int zt_capture_writer_flush(struct zt_capture_writer *w)
{
	if (w->bg)
		background_wait(w->bg);
	if (w->len)
		write_out(w, w->buf, w->len, w->buffered);
	w->len = 0;
	w->buffered = 0;
	return w->last_err;
}

int zt_capture_writer_send(struct zt_capture_writer *w, struct zt_capture_progress *p)
{
	struct zt_capture_progress now;

	if (w->background && !w->bg && w->len && w->fd >= 0 && !w->dead)
		w->background = background_start(w);
	if (w->bg)
		background_wait(w->bg); /* one batch in flight at most: the memory stays two buffers */
	else
		zt_capture_writer_flush(w);
	now = (struct zt_capture_progress){ w->last_err, w->dead, w->unwritten, w->whole + (off_t)w->len };
	if (w->bg && w->len)
		background_hand_over(w);
	if (p)
		*p = now;
	return now.last_err;
}

static void put_line(struct zt_capture_writer *w, const char *l, size_t n, uint64_t events)
{
	if (w->len + n > w->cap)
		zt_capture_writer_send(w, NULL);
	if (n > w->cap) /* written by itself below: what is in flight goes first */
		zt_capture_writer_flush(w);
	if (n <= w->cap) {
		memcpy(w->buf + w->len, l, n);
		w->len += n;
		w->buffered += events;
		return;
	}
	/* a line longer than the buffer (a trailer naming many functions) goes out by itself */
	write_out(w, l, n, events);
}

/* one whole line, however long: the buffer only ever holds complete lines */
/* a line written with the JSON writer: begin with a memory stream, end puts it out whole */
struct json_line {
	char *text;
	size_t len;
	FILE *f;
	struct zt_jw w;
};

static struct zt_jw *line_begin(struct json_line *l)
{
	*l = (struct json_line){ 0 };
	l->f = open_memstream(&l->text, &l->len);
	zt_jw_init(&l->w, l->f ? l->f : stderr);
	return &l->w;
}

static void line_end(struct zt_capture_writer *w, struct json_line *l)
{
	if (!l->f || fputc('\n', l->f) == EOF || fclose(l->f)) {
		if (!w->err)
			w->err = -ENOMEM; /* said like a failed write: the capture is cut short */
		free(l->text);
		return;
	}
	put_line(w, l->text, l->len, 0);
	free(l->text);
}

/* "hooks":{"func":"mode",...},"hook_modules":{"func":"module",...} */
static void hooks_json(struct zt_jw *w, const struct zt_hook_state *h, int n)
{
	zt_jw_open(w, "hooks", '{');
	for (int i = 0; i < n; i++)
		zt_jw_str(w, h[i].func, h[i].mode);
	zt_jw_close(w, '}');
	zt_jw_open(w, "hook_modules", '{');
	for (int i = 0; i < n; i++)
		if (h[i].module)
			zt_jw_str(w, h[i].func, h[i].module);
	zt_jw_close(w, '}');
}

void zt_capture_writer_header(struct zt_capture_writer *w, const struct zt_run *m, unsigned flight_recorder)
{
	struct json_line l;
	struct zt_jw *j = line_begin(&l);
	char version[16];

	snprintf(version, sizeof(version), "%d.%d", ZT_CAPTURE_MAJOR, ZT_CAPTURE_MINOR);
	zt_jw_open(j, NULL, '{');
	zt_jw_str(j, "format", ZT_CAPTURE_FORMAT);
	zt_jw_str(j, "version", version);
	zt_jw_str(j, "zpcitrace", m->zpcitrace);
	zt_jw_str(j, "hostname", m->hostname);
	zt_jw_str(j, "kernel", m->kernel);
	zt_jw_str(j, "machine", m->machine);
	zt_jw_str(j, "clock", "CLOCK_MONOTONIC");
	zt_jw_i64(j, "realtime_offset_ns", m->realtime_off);
	zt_jw_str(j, "btf", m->btf);
	hooks_json(j, m->hooks, m->nhooks);
	zt_jw_bool(j, "enqueue_derived", m->derived);
	zt_jw_str(j, "uapi", zt_uapi_name(m->uapi));
	zt_jw_u64(j, "flight_recorder", flight_recorder);
	if (m->run_id[0]) /* 2.6: the run's files and dumps share it (a report joins them) */
		zt_jw_str(j, "run_id", m->run_id);
	if (w->run_file) /* 2.6: a recorder's files are numbered from 1: a report sees one missing */
		zt_jw_u64(j, "run_file", w->run_file);
	zt_jw_close(j, '}');
	line_end(w, &l);
}

/* The record's fields: the order of a capture line's "rec" array (2.x), and its keys (1.x). The one string,
 * comm, sits at REC_COMM_AT of the array (after tid), as it did among the keys. */
#define REC_FIELD_LIST(F)                                                                                   \
	F(type, false) F(ts_ns, false) F(cpu, false) F(pid, false) F(tid, false) F(fid, false) F(fh, false)       \
	F(pci_domain, false) F(pci_bus, false) F(pci_devfn, false) F(ret, true) F(get_ret, true) F(flags, false) \
	F(state, false) F(discarded, false) F(v12_pec, false) F(has_fn, false) F(has_pci, false)                  \
	F(has_ccdf, false) F(q_valid, false) F(q_mr, false) F(q_count, false) F(q_head, false) F(q_tail, false)   \
	F(result, false) F(slot, false) F(has_slot, false) F(derived, false) F(v12, false)                       \
	F(via_get, false) /* 2.1 */

static const struct rec_field {
	const char *key;
	size_t off, size;
	bool is_signed;
} rec_fields[] = {
#define F(k, s) { #k, offsetof(struct zt_event, k), sizeof(((struct zt_event *)0)->k), s },
	REC_FIELD_LIST(F)
#undef F
};

/* the table covers the record: a field added to struct zt_event (bpf/zt_event.h) without a place in the capture
 * fails here. Besides the integers, the record holds comm, padding and the CCDF, its last field. */
#define F(k, s) +sizeof(((struct zt_event *)0)->k)
_Static_assert(0 REC_FIELD_LIST(F) + ZT_COMM_LEN + sizeof(((struct zt_event *)0)->pad) + ZT_CCDF_LEN ==
		       offsetof(struct zt_event, ccdf) + ZT_CCDF_LEN &&
		       sizeof(struct zt_event) - (offsetof(struct zt_event, ccdf) + ZT_CCDF_LEN) < 8,
	       "every field of struct zt_event has its place in a capture line (rec_fields)");
#undef F
#define REC_FIELDS (sizeof(rec_fields) / sizeof(rec_fields[0]))
#define REC_FIELDS_2_0 29 /* a 2.0 line's array ends before via_get: the newer fields read as 0 */
#define REC_COMM_AT 5

#define PUT(p, lit) (memcpy(p, lit, sizeof(lit) - 1), p += sizeof(lit) - 1)

/* "HH:MM:SS.uuuuuu" at p: the seconds' part only when the second changes (a storm's lines share it) */
static char *put_time(struct zt_capture_writer *w, uint64_t ts_ns, long long realtime_off, char *p)
{
	long long wall = (long long)ts_ns + realtime_off, sec = wall / 1000000000LL;
	long long us = (wall % 1000000000LL) / 1000;

	if (wall < 0) { /* before 1970: no cache */
		zt_wall_time(ts_ns, realtime_off, p, 16);
		return p + 15;
	}
	if (sec != w->time_sec || !w->time_hms[0]) {
		zt_wall_time(ts_ns, realtime_off, w->time_hms, sizeof(w->time_hms));
		w->time_sec = sec;
	}
	memcpy(p, w->time_hms, 9); /* "HH:MM:SS." */
	for (int i = 14; i > 8; i--, us /= 10)
		p[i] = (char)('0' + us % 10);
	return p + 15;
}

/* "COMM", at p: escaped once for as long as the comm stays the same (a storm comes from a few threads) */
static char *put_comm(struct zt_capture_writer *w, const char *comm, char *p)
{
	if (!w->comm_len || memcmp(w->comm_raw, comm, ZT_COMM_LEN)) {
		memcpy(w->comm_raw, comm, ZT_COMM_LEN);
		zt_json_escape(comm, ZT_COMM_LEN, w->comm_json + 1, sizeof(w->comm_json) - 2);
		w->comm_json[0] = '"';
		w->comm_len = strlen(w->comm_json);
		w->comm_json[w->comm_len++] = '"';
		w->comm_json[w->comm_len++] = ',';
	}
	memcpy(p, w->comm_json, w->comm_len);
	return p + w->comm_len;
}

/* the hot path of 'record': no printf. A line is
 * {"event":NAME,"time":"HH:MM:SS.uuuuuu","fid":"0x…","rec":[…],"ccdf":"64 hex digits"}; here up to the
 * closing brace, at l. Its end */
static char *event_text(struct zt_capture_writer *w, const struct zt_event *e, long long realtime_off, char *l)
{
	char *p = l;
	const char *name = zt_event_name(e);
	size_t n = strlen(name);

	/* bounded: name, time, fid, 30 integers of at most 20 digits, an escaped comm, the CCDF */
	_Static_assert(LINE_MAX_LEN > 64 + 32 + 48 + REC_FIELDS * 21 + sizeof(w->comm_json) + 80, "a line fits");
	PUT(p, "{\"event\":\"");
	memcpy(p, name, n);
	p += n;
	PUT(p, "\",\"time\":\"");
	p = put_time(w, e->ts_ns, realtime_off, p);
	if (e->has_fn) {
		PUT(p, "\",\"fid\":\"0x");
		for (int i = 28; i >= 0; i -= 4)
			*p++ = zt_hex_digits[e->fid >> i & 15];
	}
	PUT(p, "\",\"rec\":[");
	/* field by field, in REC_FIELD_LIST's order, each as its own type: no table walk on the hot path (the
	 * compiler folds the position test); rec_fields says the same order and sizes to the reader */
	{
		size_t at = 0;
#define F(k, s)                                           \
	if (at++ == REC_COMM_AT)                          \
		p = put_comm(w, e->comm, p);              \
	p = s                       ? zt_put_i64(p, (int64_t)e->k)  \
	    : sizeof(e->k) == 1     ? zt_put_u8(p, (uint8_t)e->k)   \
	    : sizeof(e->k) <= 4     ? zt_put_u32(p, (uint32_t)e->k) \
				    : zt_put_u64(p, (uint64_t)e->k); \
	*p++ = ',';
		REC_FIELD_LIST(F)
#undef F
	}
	p[-1] = ']';
	if (e->has_ccdf) {
		PUT(p, ",\"ccdf\":\"");
		p = zt_put_hex(p, e->ccdf, ZT_CCDF_LEN);
		*p++ = '"';
	}
	return p;
}

void zt_capture_writer_event(struct zt_capture_writer *w, const struct zt_event *e, long long realtime_off)
{
	char l[LINE_MAX_LEN], *p = event_text(w, e, realtime_off, l);

	*p++ = '}';
	*p++ = '\n';
	put_line(w, l, (size_t)(p - l), 1);
}

/* 2.6: an open's line, and a queue read at start, hold the device's owner (owner.h) */
void zt_capture_writer_event_owner(struct zt_capture_writer *w, const struct zt_event *e, long long realtime_off,
				   const struct zt_owner *o)
{
	char l[LINE_MAX_LEN], *p;
	char comm[ZT_JSON_ESCAPED(ZT_OWNER_COMM_LEN)], exe[ZT_JSON_ESCAPED(256)], domain[ZT_JSON_ESCAPED(128)];
	int n;

	if (!o || !o->pid) {
		zt_capture_writer_event(w, e, realtime_off);
		return;
	}
	_Static_assert(LINE_MAX_LEN > 1100 + sizeof(comm) + sizeof(exe) + sizeof(domain), "a line with its owner fits");
	p = event_text(w, e, realtime_off, l);
	zt_json_escape(o->comm, strlen(o->comm), comm, sizeof(comm));
	zt_json_escape(o->exe, strlen(o->exe), exe, sizeof(exe));
	zt_json_escape(o->domain, strlen(o->domain), domain, sizeof(domain));
	n = snprintf(p, sizeof(l) - (size_t)(p - l), ",\"owner\":{\"pid\":%d,\"comm\":\"%s\",\"exe\":\"%s\",\"domain\":\"%s\"}}\n",
		     o->pid, comm, exe, domain);
	put_line(w, l, (size_t)(p - l) + (size_t)n, 1);
}

void zt_capture_writer_trailer(struct zt_capture_writer *w, const struct zt_snapshot *s, const char *reason,
			       const struct zt_capture_flight *flight)
{
	static const struct zt_capture_flight none;
	struct json_line l;
	struct zt_jw *j;
	size_t named = 0;

	zt_capture_writer_flush(w); /* the counts below are final */
	j = line_begin(&l);
	/* first, as ZT_CAPTURE_TRAILER_PREFIX: a reader knows the bound before parsing */
	zt_jw_open(j, NULL, '{');
	zt_jw_bool(j, "trailer", true);
	zt_jw_str(j, "reason", reason);
	zt_jw_u64(j, "events", w->written);
	zt_jw_u64(j, "unwritten", w->unwritten);
	zt_jw_u64(j, "ended_ns", s->now_ns);
	for (int i = 0; i < ZT_NR_LOSSES; i++) /* each from its version on (facts.h) */
		zt_jw_u64(j, zt_loss_facts[i].key, s->losses.n[i]);
	if (!flight)
		flight = &none;
	zt_jw_u64(j, "flight_recorder_overwritten", flight->overwritten);
	zt_jw_u64(j, "flight_recorder_earlier", flight->earlier);     /* 2.5 */
	zt_jw_u64(j, "flight_recorder_held_back", flight->held_back); /* 2.5 */
	hooks_json(j, s->run ? s->run->hooks : NULL, s->run ? s->run->nhooks : 0);
	zt_jw_str(j, "uapi", zt_uapi_name(s->run ? s->run->uapi : ZT_UAPI_UNKNOWN));
	zt_jw_open(j, "functions", '[');
	/* as many functions as keep the line within ZT_CAPTURE_TRAILER_MAX: a reader refuses longer lines */
	for (size_t i = 0; l.f && i < s->corr->nfns && ftell(l.f) < ZT_CAPTURE_TRAILER_MAX - 4096; i++, named++) {
		struct zt_ident id;

		zt_snapshot_ident(s, &s->corr->fns[i], &id);
		zt_jw_open(j, NULL, '{');
		zt_jw_u64(j, "fid", s->corr->fns[i].fid);
		zt_jw_str(j, "uid", id.uid);
		zt_jw_str(j, "pchid", id.pchid);
		zt_jw_close(j, '}');
	}
	zt_jw_close(j, ']');
	zt_jw_u64(j, "functions_omitted", s->corr->nfns - named);
	zt_jw_close(j, '}');
	line_end(w, &l);
}

int zt_capture_writer_close(struct zt_capture_writer *w)
{
	int err, done;

	zt_capture_writer_flush(w);
	background_stop(w);
	err = w->err;
	/* published (a capture): its whole lines stay, cut back after a failed write; else (a dump) all or nothing */
	done = w->fd < 0 ? 0 : zt_out_commit(&w->out, w->out.published ? 0 : err);
	w->fd = -1;
	free(w->buf);
	w->buf = NULL;
	return err ?: done;
}

/* ---- the files of a capture ---------------------------------------------------------------------------- */

unsigned long zt_capture_highest_index(const char *path, unsigned long *count)
{
	char *d = strdup(path), *b = strdup(path);
	unsigned long high = 0, n = 0;
	const char *base;
	struct dirent *de;
	size_t blen;
	DIR *dir;

	if (!d || !b) {
		free(d);
		free(b);
		return 0;
	}
	base = basename(b);
	blen = strlen(base);
	dir = opendir(dirname(d));
	while (dir && (de = readdir(dir))) {
		const char *p = de->d_name + blen + 1;
		char *end;
		unsigned long k;

		/* FILE.N, N digits only: not FILE.1.gz, nor a writer's .FILE.XXXXXX */
		if (strncmp(de->d_name, base, blen) || de->d_name[blen] != '.' || *p < '1' || *p > '9')
			continue;
		k = strtoul(p, &end, 10);
		if (*end)
			continue;
		n++;
		if (k > high)
			high = k;
	}
	if (dir)
		closedir(dir);
	free(d);
	free(b);
	if (count)
		*count = n;
	return high;
}

int zt_capture_keep_existing(const char *path, char *why, size_t whylen)
{
	char to[4200];
	struct stat st;
	int err;

	/* none, stdout, or not a file: the output rule refuses it */
	if (zt_out_is_stdout(path) || lstat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	snprintf(to, sizeof(to), "%s.%lu", path, zt_capture_highest_index(path, NULL) + 1);
	/* link and unlink, not rename: a FILE.N that appeared meanwhile is never replaced */
	if (link(path, to) || unlink(path)) {
		err = -errno;
		snprintf(why, whylen, "cannot keep the existing %s as %s: %s", path, to, strerror(errno));
		return err;
	}
	fprintf(stderr, "zpcitrace: %s exists: kept as %s\n", path, to);
	return 0;
}

/* ---- reading ---------------------------------------------------------------------------------------- */

/* every string a capture holds is kept escaped for a terminal (zt_text_escape): the outputs print it as it is */
static void copy_str(const struct zt_json *o, const char *key, char *dst, size_t len)
{
	const char *v;

	if (zt_json_str(o, key, &v))
		zt_text_escape(v, strlen(v), dst, len);
}

/* a capture's hooks name its own strings (hook_func, hook_mode, hook_module): set again after it moved */
static void hooks_point_home(struct zt_run *m)
{
	for (int i = 0; i < m->nhooks; i++) {
		m->hooks[i].func = m->hook_func[i];
		m->hooks[i].mode = m->hook_mode[i];
		m->hooks[i].module = m->hook_module[i][0] ? m->hook_module[i] : NULL;
	}
}

static void read_hooks(struct zt_run *m, const struct zt_json *hooks, const struct zt_json *modules)
{
	m->nhooks = 0;
	if (!hooks || hooks->type != ZT_JSON_OBJECT)
		return;
	for (const struct zt_json *h = hooks->child; h && m->nhooks < ZT_NR_HOOKS; h = h->next) {
		if (h->type != ZT_JSON_STRING)
			continue;
		zt_text_escape(h->key, strlen(h->key), m->hook_func[m->nhooks], sizeof(m->hook_func[0]));
		zt_text_escape(h->string, strlen(h->string), m->hook_mode[m->nhooks], sizeof(m->hook_mode[0]));
		int known = zt_hook_by_func(h->key);
		m->hooks[m->nhooks].role = known >= 0 ? zt_hooks[known].role : "?";
		m->hook_module[m->nhooks][0] = '\0';
		if (modules)
			copy_str(modules, h->key, m->hook_module[m->nhooks], sizeof(m->hook_module[0]));
		m->nhooks++;
	}
	hooks_point_home(m);
}

void zt_capture_moved(struct zt_capture *c)
{
	hooks_point_home(&c->meta);
}

/* 2.3: the feature's uAPI form, in the header as at the start and in the trailer as at the end */
static void read_uapi(struct zt_run *m, const struct zt_json *line)
{
	const char *uapi;

	m->uapi = zt_json_str(line, "uapi", &uapi) ? zt_uapi_by_name(uapi) : ZT_UAPI_UNKNOWN;
}

static int header(struct zt_capture *c, const struct zt_json *h, char *err, size_t errlen)
{
	const char *format, *version;
	int major, minor;
	int64_t off;

	if (!zt_json_str(h, "format", &format) || strcmp(format, ZT_CAPTURE_FORMAT))
		return zt_why(err, errlen, "not a zpcitrace capture (no %s header)", ZT_CAPTURE_FORMAT);
	if (!zt_json_str(h, "version", &version) || sscanf(version, "%d.%d", &major, &minor) != 2)
		return zt_why(err, errlen, "capture header has no version");
	if (major < 1 || major > ZT_CAPTURE_MAJOR)
		return zt_why(err, errlen, "capture format version %d.%d is not readable by this zpcitrace (it reads 1.x to %d.x)",
			   major, minor, ZT_CAPTURE_MAJOR);
	c->major = major;
	c->minor = minor;
	copy_str(h, "hostname", c->meta.hostname, sizeof(c->meta.hostname));
	copy_str(h, "kernel", c->meta.kernel, sizeof(c->meta.kernel));
	copy_str(h, "machine", c->meta.machine, sizeof(c->meta.machine));
	copy_str(h, "btf", c->meta.btf, sizeof(c->meta.btf));
	copy_str(h, "zpcitrace", c->meta.zpcitrace, sizeof(c->meta.zpcitrace));
	copy_str(h, "run_id", c->meta.run_id, sizeof(c->meta.run_id));
	zt_json_u64(h, "run_file", &c->run_file);
	zt_json_u64(h, "flight_recorder", &c->flight_recorder);
	if (zt_json_int(h, "realtime_offset_ns", &off))
		c->meta.realtime_off = off;
	const struct zt_json *d = zt_json_get(h, "enqueue_derived");
	c->meta.derived = d && d->type == ZT_JSON_BOOL && d->boolean;
	read_uapi(&c->meta, h);
	read_hooks(&c->meta, zt_json_get(h, "hooks"), zt_json_get(h, "hook_modules"));
	return 0;
}

/* one record field from the capture, range-checked: a 64-bit field is unsigned (ts_ns), up to 2^64 - 1 */
static int rec_set(struct zt_event *e, const struct rec_field *f, const struct zt_json *v, char *why, size_t whylen)
{
	char *p = (char *)e + f->off;
	int64_t i;

	if (!v || v->type != ZT_JSON_NUMBER || !(f->size == 8 ? v->is_unsigned : v->is_integer)) {
		snprintf(why, whylen, f->size == 8 && v && v->type == ZT_JSON_NUMBER ? "'%s' is out of range"
										   : "its record lacks the integer '%s'",
			 f->key);
		return -1;
	}
	if (f->size == 8) {
		memcpy(p, &v->uinteger, 8);
		return 0;
	}
	i = v->integer;
	if (f->is_signed ? (i < INT32_MIN || i > INT32_MAX) : (i < 0 || (uint64_t)i >> (8 * f->size))) {
		snprintf(why, whylen, "'%s' is out of range", f->key);
		return -1;
	}
	if (f->size == 4) {
		uint32_t u = (uint32_t)i;

		memcpy(p, &u, 4);
	} else if (f->size == 2) {
		uint16_t u = (uint16_t)i;

		memcpy(p, &u, 2);
	} else {
		*(uint8_t *)p = (uint8_t)i;
	}
	return 0;
}

/* values no kernel produces: a queue deeper than ZPCI_ERR_PENDING_MAX, a slot beyond it, a flag not 0 or 1. NULL,
 * or what is wrong */
static const char *impossible(const struct zt_event *e)
{
	if (e->q_count > ZT_QUEUE_DEPTH)
		return "its queue holds more than 4 errors";
	if (e->has_slot && e->slot >= ZT_QUEUE_DEPTH)
		return "its slot is beyond the 4-deep queue";
	if (e->discarded > ZT_QUEUE_DEPTH)
		return "it discards more than the 4-deep queue holds";
	if ((e->has_fn | e->has_pci | e->has_ccdf | e->q_valid | e->q_mr | e->has_slot | e->derived | e->v12 |
	     e->via_get) > 1)
		return "a flag of its record is neither 0 nor 1";
	return NULL;
}

/* 2.x: "rec" is an array in rec_fields order, comm at REC_COMM_AT; a newer minor's extra elements are ignored */
static int record_array(const struct zt_json *rec, struct zt_event *e, const char **comm, char *why, size_t whylen)
{
	const struct zt_json *m = rec->child;

	for (size_t i = 0; i < REC_FIELDS; i++) {
		if (i == REC_COMM_AT) {
			if (!m || m->type != ZT_JSON_STRING) {
				snprintf(why, whylen, "its record lacks the string 'comm'");
				return -1;
			}
			*comm = m->string;
			m = m->next;
		}
		if (!m && i >= REC_FIELDS_2_0)
			break;
		if (rec_set(e, &rec_fields[i], m, why, whylen))
			return -1;
		m = m->next;
	}
	return 0;
}

/* 1.x: "rec" is an object, one key per field */
static int record_object(const struct zt_json *rec, struct zt_event *e, const char **comm, char *why, size_t whylen)
{
	const struct zt_json *m = rec->child;

	for (size_t i = 0; i < REC_FIELDS; i++) {
		const struct zt_json *v;

		/* members usually come in the writer's order (comm after tid): try the next one first */
		if (m && m->key && !strcmp(m->key, "comm"))
			m = m->next;
		if (m && m->key && !strcmp(m->key, rec_fields[i].key)) {
			v = m;
			m = m->next;
		} else {
			v = zt_json_get(rec, rec_fields[i].key);
		}
		if (!v && i >= REC_FIELDS_2_0)
			continue;
		if (rec_set(e, &rec_fields[i], v, why, whylen))
			return -1;
	}
	zt_json_str(rec, "comm", comm);
	return 0;
}

/* the event of a line: its record (array in 2.x, object in 1.x) and raw CCDF. 1: a newer minor's event kind */
static int record(const struct zt_json *rec, int major, struct zt_event *e, const char *ccdf_hex, char *why,
		  size_t whylen)
{
	const char *comm = NULL;

	memset(e, 0, sizeof(*e));
	if (major >= 2 ? record_array(rec, e, &comm, why, whylen) : record_object(rec, e, &comm, why, whylen))
		return -1;
	if (e->type < ZT_EV_ARRIVAL || e->type > ZT_EV_LAST) {
		snprintf(why, whylen, "unknown event type %u", e->type);
		return 1; /* a newer minor version's event: skipped */
	}
	if (impossible(e)) {
		snprintf(why, whylen, "%s", impossible(e));
		return -1;
	}
	if (comm) /* like the kernel's: not NUL-terminated at full length */
		memcpy(e->comm, comm, strnlen(comm, sizeof(e->comm)));
	if (e->has_ccdf) {
		if (!ccdf_hex || strlen(ccdf_hex) != 2 * ZT_CCDF_LEN) {
			snprintf(why, whylen, "its ccdf is not %d hex digits", 2 * ZT_CCDF_LEN);
			return -1;
		}
		for (int i = 0; i < 2 * ZT_CCDF_LEN; i++) {
			char h = ccdf_hex[i];
			int v = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;

			if (v < 0) {
				snprintf(why, whylen, "its ccdf is not hex");
				return -1;
			}
			e->ccdf[i / 2] = (uint8_t)(e->ccdf[i / 2] << 4 | v);
		}
	}
	return 0;
}

int zt_capture_ident_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct zt_capture_fn_ident *)a)->fid, y = ((const struct zt_capture_fn_ident *)b)->fid;

	return x < y ? -1 : x > y;
}

static int trailer(struct zt_capture *c, const struct zt_json *t)
{
	int64_t v;
	const struct zt_json *fns = zt_json_get(t, "functions");

	c->has_trailer = true;
	copy_str(t, "reason", c->reason, sizeof(c->reason));
	zt_json_u64(t, "ended_ns", &c->ended_ns);
	for (int i = 0; i < ZT_NR_LOSSES; i++) /* 0 in a capture older than the loss */
		zt_json_u64(t, zt_loss_facts[i].key, &c->losses.n[i]);
	zt_json_u64(t, "flight_recorder_overwritten", &c->gaps.overwritten);
	zt_json_u64(t, "flight_recorder_earlier", &c->gaps.earlier); /* 2.5 */
	zt_json_u64(t, "flight_recorder_held_back", &c->gaps.held_back);
	zt_json_u64(t, "unwritten", &c->gaps.unwritten);
	zt_json_u64(t, "functions_omitted", &c->gaps.functions_omitted);
	/* the event lines the writer wrote: a line deleted or repeated since shows here */
	c->gaps.trailer_events_known = zt_json_u64(t, "events", &c->gaps.trailer_events);
	if (zt_json_get(t, "hooks"))
		read_hooks(&c->meta, zt_json_get(t, "hooks"), zt_json_get(t, "hook_modules"));
	if (zt_json_get(t, "uapi"))
		read_uapi(&c->meta, t);
	if (fns && fns->type == ZT_JSON_ARRAY) {
		size_t n = 0;

		for (const struct zt_json *f = fns->child; f; f = f->next)
			n++;
		c->idents = calloc(n ? n : 1, sizeof(*c->idents));
		if (!c->idents)
			return -1;
		for (const struct zt_json *f = fns->child; f; f = f->next) {
			struct zt_capture_fn_ident *id = &c->idents[c->nidents];

			if (!zt_json_int(f, "fid", &v))
				continue;
			id->fid = (uint32_t)v;
			snprintf(id->id.uid, sizeof(id->id.uid), "-");
			snprintf(id->id.pchid, sizeof(id->id.pchid), "-");
			copy_str(f, "uid", id->id.uid, sizeof(id->id.uid));
			copy_str(f, "pchid", id->id.pchid, sizeof(id->id.pchid));
			c->nidents++;
		}
		qsort(c->idents, c->nidents, sizeof(*c->idents), zt_capture_ident_cmp);
	}
	return 0;
}

/* a line that does not read: skipped and counted, the first one's number and reason kept */
static void skip_line(struct zt_capture *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->gaps.skipped_lines++) {
		c->gaps.first_skipped_line = c->lines;
		va_start(ap, fmt);
		vsnprintf(c->gaps.first_skipped_why, sizeof(c->gaps.first_skipped_why), fmt, ap);
		va_end(ap);
	}
}

static int add_event(struct zt_capture *c, const struct zt_event *e)
{
	if (c->nevents == c->capevents) {
		size_t cap = c->capevents ? c->capevents * 2 : 1024;
		struct zt_event *ev = realloc(c->events, cap * sizeof(*ev));

		if (!ev)
			return -1;
		c->events = ev;
		c->capevents = cap;
	}
	c->events[c->nevents++] = *e;
	return 0;
}

/* the owner an event line holds (2.6), of the event just added; -1 only when memory ran out */
static int add_owner(struct zt_capture *c, const struct zt_json *o)
{
	struct zt_capture_owner *w;
	int64_t pid;

	if (!o || o->type != ZT_JSON_OBJECT || !zt_json_int(o, "pid", &pid) || pid <= 0 || pid > INT32_MAX)
		return 0;
	if (c->nowners == c->capowners) {
		size_t cap = c->capowners ? c->capowners * 2 : 16;

		w = realloc(c->owners, cap * sizeof(*w));
		if (!w)
			return -1;
		c->owners = w;
		c->capowners = cap;
	}
	w = &c->owners[c->nowners++];
	memset(w, 0, sizeof(*w));
	w->event = c->nevents - 1;
	w->owner.pid = (int32_t)pid;
	copy_str(o, "comm", w->owner.comm, sizeof(w->owner.comm));
	copy_str(o, "exe", w->owner.exe, sizeof(w->owner.exe));
	copy_str(o, "domain", w->owner.domain, sizeof(w->owner.domain));
	return 0;
}

/* one event line; -1 only when memory ran out */
static int event_line(struct zt_capture *c, const struct zt_json *root)
{
	const struct zt_json *rec = zt_json_get(root, "rec");
	const char *ccdf = NULL;
	struct zt_event e;
	char why[96];
	int rc;

	zt_json_str(root, "ccdf", &ccdf);
	if (!rec || rec->type != (c->major >= 2 ? ZT_JSON_ARRAY : ZT_JSON_OBJECT)) {
		skip_line(c, "an event without its record");
		return 0;
	}
	rc = record(rec, c->major, &e, ccdf, why, sizeof(why));
	if (rc < 0)
		skip_line(c, "%s", why);
	else if (rc > 0)
		c->gaps.skipped_unknown++;
	else if (add_event(c, &e) || add_owner(c, zt_json_get(root, "owner")))
		return -1;
	return 0;
}

/* a capture's header line (a JSON object whose "format" names the format) */
static bool is_header(const struct zt_json *root)
{
	const char *format;

	return root->type == ZT_JSON_OBJECT && zt_json_str(root, "format", &format) && !strcmp(format, ZT_CAPTURE_FORMAT);
}

/* one whole line (n bytes, no newline); -1 with err when the capture cannot be read at all, 1 when the line is
 * the header of the next capture (a file that holds several one after another) */
static int parse_line(struct zt_capture *c, const char *l, size_t n, char *err, size_t errlen)
{
	bool is_trailer = n >= sizeof(ZT_CAPTURE_TRAILER_PREFIX) - 1 &&
			  !memcmp(l, ZT_CAPTURE_TRAILER_PREFIX, sizeof(ZT_CAPTURE_TRAILER_PREFIX) - 1);
	size_t max = is_trailer ? ZT_CAPTURE_TRAILER_MAX : ZT_CAPTURE_LINE_MAX;
	bool first = !c->major; /* the header is the first line that is not blank */
	const struct zt_json *t;
	struct zt_json_doc doc;
	size_t k;
	int rc = 0;

	c->lines++;
	for (k = 0; k < n && (l[k] == ' ' || l[k] == '\t' || l[k] == '\r'); k++)
		;
	if (k == n) /* a blank line (an editor's, a cat's): no content to lose */
		return 0;
	if (n > max) { /* refused unread: a parse would cost memory in proportion */
		if (first)
			return zt_why(err, errlen, "line %zu is longer than a capture header can be: not a zpcitrace capture",
				   c->lines);
		skip_line(c, "%zu bytes, longer than the format allows (%zu)", n, max);
		return 0;
	}
	if (zt_json_parse(l, n, &doc)) {
		if (first)
			return zt_why(err, errlen, "line %zu: not JSON (%s at byte %zu): not a zpcitrace capture", c->lines,
				   doc.error, doc.error_at);
		skip_line(c, c->has_trailer ? "data after the trailer" : "not JSON (%s at byte %zu)", doc.error,
			  doc.error_at);
		return 0;
	}
	if (!first && is_header(doc.root)) {
		c->lines--; /* the next capture's first line */
		rc = 1;
	} else if (c->has_trailer) {
		skip_line(c, "data after the trailer");
	} else if (doc.root->type != ZT_JSON_OBJECT) {
		if (first)
			rc = zt_why(err, errlen, "line %zu: not a JSON object: not a zpcitrace capture", c->lines);
		else
			skip_line(c, "not a JSON object");
	} else if (first) {
		rc = header(c, doc.root, err, errlen);
	} else if ((t = zt_json_get(doc.root, "trailer"))) {
		if (t->type != ZT_JSON_BOOL || !t->boolean) /* only {"trailer":true,...} ends a capture */
			skip_line(c, "a \"trailer\" that is not true");
		else if (trailer(c, doc.root))
			rc = zt_why(err, errlen, "out of memory");
	} else if (event_line(c, doc.root)) {
		rc = zt_why(err, errlen, "out of memory");
	}
	zt_json_free(&doc);
	return rc;
}

int zt_capture_parse_next(const char *buf, size_t len, size_t *used, struct zt_capture *c, char *err, size_t errlen)
{
	static const char bom[] = "\xef\xbb\xbf";
	size_t pos = 0;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (len >= 3 && !memcmp(buf, bom, 3)) /* an editor's UTF-8 byte order mark */
		pos = 3;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;

		if (!nl) { /* the writer was stopped inside this line */
			c->gaps.cut_bytes = n;
			pos = len;
			break;
		}
		rc = parse_line(c, buf + pos, n, err, errlen);
		if (rc < 0)
			return -1;
		if (rc > 0)
			break;
		pos += n + 1;
	}
	*used = pos;
	if (!c->major)
		return zt_why(err, errlen, len ? "no complete line: not a zpcitrace capture, or cut inside its header"
					    : "empty file: not a zpcitrace capture");
	c->gaps.cut = !c->has_trailer;
	/* the trailer counts the event lines written: more events read is a line repeated; fewer, even counting the
	 * damaged lines as events, is a line deleted (a damaged line in place, or one added, is damage of its own) */
	c->gaps.event_lines = c->nevents + c->gaps.skipped_unknown;
	c->gaps.count_mismatch = c->has_trailer && c->gaps.trailer_events_known &&
				 (c->gaps.event_lines > c->gaps.trailer_events ||
				  c->gaps.event_lines + c->gaps.skipped_lines < c->gaps.trailer_events);
	return 0;
}

int zt_capture_parse(const char *buf, size_t len, struct zt_capture *c, char *err, size_t errlen)
{
	size_t used;

	if (zt_capture_parse_next(buf, len, &used, c, err, errlen))
		return -1;
	/* a capture that follows is another's: a report reads each (captures.h); here its lines are skipped */
	for (size_t pos = used; pos < len; pos++)
		if (buf[pos] == '\n')
			skip_line(c, "another capture follows (zpcitrace report reads each)");
	return 0;
}

int zt_capture_read(const char *path, struct zt_capture *c, char *err, size_t errlen)
{
	struct zt_capture_bytes b;
	int rc;

	memset(c, 0, sizeof(*c));
	if (zt_capture_load(path, &b, err, errlen))
		return -1;
	rc = zt_capture_parse(b.buf, b.len, c, err, errlen);
	free(b.buf);
	if (rc) {
		zt_capture_free(c);
		return rc;
	}
	c->gaps.live = b.live;
	c->gaps.shrank = b.shrank;
	return 0;
}

void zt_capture_free(struct zt_capture *c)
{
	free(c->events);
	free(c->idents);
	free(c->owners);
	c->events = NULL;
	c->idents = NULL;
	c->owners = NULL;
	c->nowners = 0;
	c->nevents = c->nidents = 0;
}

static void capture_ident(void *capture, const struct zt_fn *f, struct zt_ident *id)
{
	zt_capture_ident(capture, f, id);
}

void zt_capture_snapshot(const struct zt_capture *c, struct zt_corr *corr, uint64_t now_ns, struct zt_snapshot *s)
{
	*s = (struct zt_snapshot){
		.corr = corr, .now_ns = now_ns, .losses = c->losses, .run = &c->meta, .histograms = true,
		.ident = capture_ident, .ident_ctx = (void *)c, .gaps = &c->gaps,
	};
}

void zt_capture_ident(const struct zt_capture *c, const struct zt_fn *f, struct zt_ident *id)
{
	struct zt_capture_fn_ident key = { .fid = f->fid };
	const struct zt_capture_fn_ident *found;

	if (!c->nidents)
		return;
	found = bsearch(&key, c->idents, c->nidents, sizeof(*c->idents), zt_capture_ident_cmp);
	if (found)
		*id = found->id;
}
