// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include "captures.h"
#include "text.h"

#define CHUNK (64 << 10) /* the least room a read or an inflate asks for; the buffer doubles */

/* room for want more bytes after len in *buf (of *cap), doubling: 0, or -1 when memory ran out. The first
 * allocation is what is wanted (a small capture costs no megabyte) */
static int grow(char **buf, size_t *cap, size_t len, size_t want)
{
	size_t n = *cap ? *cap : want > 4096 ? want : 4096;
	char *p;

	while (n - len < want) {
		if (n > SIZE_MAX / 2)
			return -1;
		n *= 2;
	}
	if (n == *cap)
		return 0;
	p = realloc(*buf, n);
	if (!p)
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}

/* what a compressed file may grow to: 256 times its size, at least 256 MiB (captures compress 10 to 50 times;
 * a file that expands beyond is no capture, and must not take the machine's memory) */
static size_t uncompressed_max(size_t inlen)
{
	size_t floor = (size_t)256 << 20;

	return inlen > floor / 256 ? (inlen > SIZE_MAX / 256 ? SIZE_MAX : inlen * 256) : floor;
}

/* room to inflate into, within the bound: 0, or -1 with the reason */
static int inflate_room(char **out, size_t *cap, size_t outlen, size_t inlen, const char *what, char *err,
			size_t errlen)
{
	if (outlen >= uncompressed_max(inlen))
		return zt_why(err, errlen, "%s: more than %zu MiB uncompressed (256 times its size): not a capture", what,
			      uncompressed_max(inlen) >> 20);
	if (grow(out, cap, outlen, CHUNK))
		return zt_why(err, errlen, "out of memory for the uncompressed capture (%zu bytes so far)", outlen);
	return 0;
}

/* every member of a gzip file (gzip appends one per compression: zcat reads them all) */
static int gunzip(const char *in, size_t inlen, char **out, size_t *outlen, char *err, size_t errlen)
{
	z_stream z = { 0 };
	size_t cap = 0;
	int rc = Z_OK;

	*out = NULL;
	*outlen = 0;
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return zt_why(err, errlen, "gzip: cannot start zlib");
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)(inlen < UINT32_MAX ? inlen : UINT32_MAX);
	size_t fed = z.avail_in;

	for (;;) {
		if (inflate_room(out, &cap, *outlen, inlen, "gzip", err, errlen)) {
			inflateEnd(&z);
			return -1;
		}
		z.next_out = (Bytef *)*out + *outlen;
		z.avail_out = (uInt)(cap - *outlen < UINT32_MAX ? cap - *outlen : UINT32_MAX);
		size_t room = z.avail_out;

		rc = inflate(&z, Z_NO_FLUSH);
		*outlen += room - z.avail_out;
		if (!z.avail_in && fed < inlen) { /* inputs beyond 4 GiB: fed in pieces */
			size_t more = inlen - fed < UINT32_MAX ? inlen - fed : UINT32_MAX;

			z.next_in = (Bytef *)in + fed;
			z.avail_in = (uInt)more;
			fed += more;
		}
		if (rc == Z_STREAM_END && (z.avail_in || fed < inlen)) {
			inflateReset(&z); /* the next member */
			continue;
		}
		if (rc == Z_STREAM_END)
			break;
		if (rc == Z_BUF_ERROR && !z.avail_in && fed >= inlen) {
			inflateEnd(&z);
			return zt_why(err, errlen, "gzip: the compressed file is cut short");
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			inflateEnd(&z);
			return zt_why(err, errlen, "gzip: %s", z.msg ? z.msg : "damaged data");
		}
	}
	inflateEnd(&z);
	return 0;
}

/* every frame of a zstd file */
static int unzstd(const char *in, size_t inlen, char **out, size_t *outlen, char *err, size_t errlen)
{
	ZSTD_DStream *z = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in, inlen, 0 };
	size_t cap = 0, left = 1;

	*out = NULL;
	*outlen = 0;
	if (!z)
		return zt_why(err, errlen, "zstd: out of memory");
	while (ib.pos < ib.size || left) {
		if (inflate_room(out, &cap, *outlen, inlen, "zstd", err, errlen)) {
			ZSTD_freeDStream(z);
			return -1;
		}
		ZSTD_outBuffer ob = { *out + *outlen, cap - *outlen, 0 };
		size_t pos_in = ib.pos;

		left = ZSTD_decompressStream(z, &ob, &ib);
		*outlen += ob.pos;
		if (ZSTD_isError(left)) {
			ZSTD_freeDStream(z);
			return zt_why(err, errlen, "zstd: %s", ZSTD_getErrorName(left));
		}
		if (left && ib.pos == ib.size && !ob.pos && pos_in == ib.pos) {
			ZSTD_freeDStream(z);
			return zt_why(err, errlen, "zstd: the compressed file is cut short");
		}
	}
	ZSTD_freeDStream(z);
	return 0;
}

/* fd to its end into *buf (want: its size, if known). 0 or -errno */
static int read_all(int fd, size_t want, char **buf, size_t *len)
{
	size_t cap = 0;

	*buf = NULL;
	*len = 0;
	for (;;) {
		ssize_t r;

		if (grow(buf, &cap, *len, want > *len ? want - *len : CHUNK))
			return -ENOMEM;
		r = read(fd, *buf + *len, cap - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return 0;
		*len += (size_t)r;
	}
}

/* b's bytes uncompressed, if they are gzip or zstd */
static int uncompress_bytes(struct zt_capture_bytes *b, char *err, size_t errlen)
{
	static const unsigned char gz[] = { 0x1f, 0x8b }, zst[] = { 0x28, 0xb5, 0x2f, 0xfd };
	char *out;
	size_t outlen;
	int rc;

	if (b->len >= sizeof(gz) && !memcmp(b->buf, gz, sizeof(gz)))
		rc = gunzip(b->buf, b->len, &out, &outlen, err, errlen);
	else if (b->len >= sizeof(zst) && !memcmp(b->buf, zst, sizeof(zst)))
		rc = unzstd(b->buf, b->len, &out, &outlen, err, errlen);
	else
		return 0;
	free(b->buf);
	b->buf = out;
	b->len = rc ? 0 : outlen;
	return rc;
}

int zt_capture_load(const char *path, struct zt_capture_bytes *b, char *err, size_t errlen)
{
	bool is_stdin = !strcmp(path, "-");
	/* O_NONBLOCK: a FIFO without a writer must not hang the open; it is refused below */
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), rc;
	struct stat st = { 0 }, after;

	memset(b, 0, sizeof(*b));
	if (fd < 0)
		return zt_why(err, errlen, "cannot open: %s", strerror(errno));
	if (!is_stdin && fstat(fd, &st)) {
		rc = zt_why(err, errlen, "cannot read: %s", strerror(errno));
		close(fd);
		return rc;
	}
	if (!is_stdin && !S_ISREG(st.st_mode)) {
		close(fd);
		return zt_why(err, errlen, "not a regular file (give '-' to read stdin)");
	}
	/* a recorder holds its capture locked while it writes (zt_capture_writer_publish) */
	b->live = !is_stdin && flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
	/* read, not mapped: a file cut while it is read (a recorder's ENOSPC cut, copytruncate) must not kill the
	 * reader with SIGBUS; what was there when it was opened is read, and a change is said */
	rc = read_all(fd, is_stdin ? 0 : (size_t)st.st_size + 1, &b->buf, &b->len);
	if (!is_stdin && !fstat(fd, &after) && after.st_size < st.st_size) {
		b->shrank = true;
		b->len = b->len < (size_t)after.st_size ? b->len : (size_t)after.st_size;
	}
	if (!is_stdin)
		close(fd);
	if (rc) {
		free(b->buf);
		b->buf = NULL;
		return zt_why(err, errlen, rc == -ENOMEM ? "out of memory for %s" : "cannot read: %s",
			   rc == -ENOMEM ? "the file" : strerror(-rc));
	}
	if (uncompress_bytes(b, err, errlen)) {
		free(b->buf);
		b->buf = NULL;
		return -1;
	}
	return 0;
}

/* ---- runs ----------------------------------------------------------------------------------------------- */

struct part {
	struct zt_capture c;
	const char *file;
	uint64_t first_ns, last_ns; /* its events' span; 0 without events */
	size_t run;
};

static bool same_run(const struct zt_capture *a, const struct zt_capture *b)
{
	if (a->meta.run_id[0] || b->meta.run_id[0])
		return !strcmp(a->meta.run_id, b->meta.run_id);
	return !strcmp(a->meta.hostname, b->meta.hostname) && !strcmp(a->meta.kernel, b->meta.kernel) &&
	       a->meta.realtime_off == b->meta.realtime_off;
}

static uint64_t part_start(const struct part *p)
{
	return p->c.nevents ? p->first_ns : p->c.ended_ns;
}

/* by run, then a recorder's file number (each file knows its own), else time */
static int cmp_part(const void *x, const void *y)
{
	const struct part *a = x, *b = y;
	uint64_t ta = part_start(a), tb = part_start(b);

	if (a->run != b->run)
		return a->run < b->run ? -1 : 1;
	if (a->c.run_file && b->c.run_file && a->c.run_file != b->c.run_file)
		return a->c.run_file < b->c.run_file ? -1 : 1;
	return ta < tb ? -1 : ta > tb;
}

/* what the parts lack, as one capture's gaps: damage anywhere is the run's, "still recording" the newest's */
static void join_gaps(struct zt_capture_gaps *g, const struct zt_capture_gaps *p, bool last)
{
	if (p->skipped_lines && !g->skipped_lines) {
		g->first_skipped_line = p->first_skipped_line;
		memcpy(g->first_skipped_why, p->first_skipped_why, sizeof(g->first_skipped_why));
	}
	g->cut |= p->cut && !(last && p->live);
	g->cut_bytes += p->cut_bytes;
	g->skipped_lines += p->skipped_lines;
	g->skipped_unknown += p->skipped_unknown;
	g->unwritten += p->unwritten;
	g->overwritten += p->overwritten;
	g->functions_omitted = g->functions_omitted > p->functions_omitted ? g->functions_omitted
									   : p->functions_omitted;
	g->held_back = g->held_back > p->held_back ? g->held_back : p->held_back;
	g->live = last && p->live;
	g->shrank |= p->shrank;
	g->event_lines += p->event_lines;
	g->trailer_events += p->trailer_events;
	g->trailer_events_known |= p->trailer_events_known;
	g->count_mismatch |= p->count_mismatch;
}

/* name after what buf (of len) holds up to used: the new used; a list too long for buf ends in "..." */
static size_t add_name(char *buf, size_t len, size_t used, const char *sep, const char *name)
{
	int n;

	if (used >= len - 1)
		return used;
	n = snprintf(buf + used, len - used, "%s%s", sep, name);
	if (n < 0 || (size_t)n >= len - used) {
		memcpy(buf + len - 4, "...", 4);
		return len - 1;
	}
	return used + (size_t)n;
}

/* parts [from, to) of one run as its one capture; the parts' events and idents are moved into it */
static int join(struct part *parts, size_t from, size_t to, struct zt_capture_run *r, char *err, size_t errlen)
{
	struct zt_capture *c = &r->c, *last = &parts[to - 1].c;
	size_t nev = 0, nid = 0, now = 0, used = 0;

	for (size_t i = from; i < to; i++) {
		nev += parts[i].c.nevents;
		nid += parts[i].c.nidents;
		now += parts[i].c.nowners;
	}
	*c = *last; /* the newest: its trailer's hooks, end and reason */
	zt_capture_moved(c);
	c->major = parts[from].c.major;
	c->minor = parts[from].c.minor;
	c->gaps = (struct zt_capture_gaps){ .earlier = parts[from].c.gaps.earlier };
	c->events = malloc((nev ? nev : 1) * sizeof(*c->events));
	c->idents = malloc((nid ? nid : 1) * sizeof(*c->idents));
	c->owners = malloc((now ? now : 1) * sizeof(*c->owners));
	c->nevents = c->nidents = c->nowners = c->lines = 0;
	c->capowners = now;
	memset(&c->losses, 0, sizeof(c->losses));
	if (!c->events || !c->idents || !c->owners) {
		zt_capture_free(c);
		return zt_why(err, errlen, "out of memory for %zu events", nev);
	}
	for (size_t i = from; i < to; i++) {
		const struct part *p = &parts[i];
		/* the queues a rotated file reads at its start are what the file before it ended with */
		bool follows = i > from && p->c.run_file && p->c.run_file == parts[i - 1].c.run_file + 1;

		if (i > from && p->c.run_file && parts[i - 1].c.run_file && p->c.run_file > parts[i - 1].c.run_file + 1)
			r->missing_files += p->c.run_file - parts[i - 1].c.run_file - 1;
		for (size_t k = 0, o = 0; k < p->c.nevents; k++) {
			bool keep = !follows || (p->c.events[k].type != ZT_EV_QUEUE && p->c.events[k].type != ZT_EV_QUEUED);

			for (; o < p->c.nowners && p->c.owners[o].event == k; o++)
				if (keep)
					c->owners[c->nowners++] = (struct zt_capture_owner){ c->nevents, p->c.owners[o].owner };
			if (keep)
				c->events[c->nevents++] = p->c.events[k];
		}
		if (p->c.nidents)
			memcpy(c->idents + c->nidents, p->c.idents, p->c.nidents * sizeof(*c->idents));
		c->nidents += p->c.nidents;
		for (int k = 0; k < ZT_NR_LOSSES; k++) /* a dump counts the run's losses so far, a file its own */
			c->losses.n[k] = p->c.flight_recorder ? (c->losses.n[k] > p->c.losses.n[k] ? c->losses.n[k]
												   : p->c.losses.n[k])
							      : c->losses.n[k] + p->c.losses.n[k];
		c->lines += p->c.lines;
		join_gaps(&c->gaps, &p->c.gaps, i == to - 1);
		used = add_name(r->files, sizeof(r->files), used, i > from ? ", " : "", p->file);
	}
	c->gaps.missing_files = r->missing_files;
	c->gaps.captures = to - from;
	/* one identity per function (a function's uid and pchid are the same in each file) */
	qsort(c->idents, c->nidents, sizeof(*c->idents), zt_capture_ident_cmp);
	nid = 0;
	for (size_t i = 0; i < c->nidents; i++)
		if (!nid || c->idents[nid - 1].fid != c->idents[i].fid)
			c->idents[nid++] = c->idents[i];
	c->nidents = nid;
	r->nparts = to - from;
	return 0;
}

/* every capture in b, appended to *parts: 0, or -1 with the reason in err */
static int split(const struct zt_capture_bytes *b, const char *file, struct part **parts, size_t *n, size_t *cap,
		 char *err, size_t errlen)
{
	size_t pos = 0, used;

	do {
		struct part *p;

		if (*n == *cap) {
			size_t more = *cap ? *cap * 2 : 8;

			p = realloc(*parts, more * sizeof(*p));
			if (!p)
				return zt_why(err, errlen, "out of memory");
			*parts = p;
			*cap = more;
		}
		p = &(*parts)[*n];
		memset(p, 0, sizeof(*p));
		if (zt_capture_parse_next(b->buf + pos, b->len - pos, &used, &p->c, err, errlen)) {
			zt_capture_free(&p->c);
			return -1;
		}
		p->file = file;
		pos += used;
		p->c.gaps.live = b->live && pos >= b->len; /* the lock is the file's: its last capture is written */
		p->c.gaps.shrank = b->shrank && pos >= b->len;
		for (size_t i = 0; i < p->c.nevents; i++) {
			uint64_t t = p->c.events[i].ts_ns;

			p->first_ns = i && p->first_ns < t ? p->first_ns : t;
			p->last_ns = p->last_ns > t ? p->last_ns : t;
		}
		(*n)++;
	} while (pos < b->len);
	return 0;
}

/* each part's run, in the order the runs first appear */
static size_t group(struct part *parts, size_t n)
{
	size_t runs = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < i && !same_run(&parts[j].c, &parts[i].c); j++)
			;
		parts[i].run = j < i ? parts[j].run : runs++;
	}
	return runs;
}

/* two captures of one run that hold the same time (one file given twice) would count its events twice */
static int overlap(const struct part *a, const struct part *b, char *err, size_t errlen)
{
	if (a->run != b->run)
		return 0;
	if ((a->c.run_file && a->c.run_file == b->c.run_file) ||
	    (a->c.nevents && b->c.nevents && b->first_ns <= a->last_ns && a->first_ns <= b->last_ns))
		return zt_why(err, errlen, "%s: holds events of the same run and time as %s (the same capture twice?): "
			   "give each once", b->file, a->file);
	return 0;
}

void zt_capture_set_free(struct zt_capture_set *s)
{
	for (size_t i = 0; i < s->nruns; i++)
		zt_capture_free(&s->runs[i].c);
	free(s->runs);
	s->runs = NULL;
	s->nruns = 0;
}

static void free_parts(struct part *parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		zt_capture_free(&parts[i].c);
	free(parts);
}

static int cmp_run(const void *x, const void *y)
{
	const struct zt_capture_run *a = x, *b = y;
	uint64_t ta = a->c.nevents ? a->c.events[0].ts_ns : a->c.ended_ns;
	uint64_t tb = b->c.nevents ? b->c.events[0].ts_ns : b->c.ended_ns;

	if (strcmp(a->c.meta.hostname, b->c.meta.hostname)) /* runs on different hosts: by host, then time */
		return strcmp(a->c.meta.hostname, b->c.meta.hostname);
	return ta < tb ? -1 : ta > tb;
}

int zt_capture_set_read(const char *const *files, size_t nfiles, struct zt_capture_set *s, char *err, size_t errlen)
{
	struct part *parts = NULL;
	size_t n = 0, cap = 0, from = 0;
	char why[256];

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < nfiles; i++) {
		struct zt_capture_bytes b;
		int rc = zt_capture_load(files[i], &b, why, sizeof(why)) ?:
			 split(&b, files[i], &parts, &n, &cap, why, sizeof(why));

		free(b.buf);
		if (rc) {
			free_parts(parts, n);
			return zt_why(err, errlen, "%s: %s", files[i], why);
		}
	}
	s->runs = calloc(group(parts, n) ?: 1, sizeof(*s->runs));
	if (!s->runs) {
		free_parts(parts, n);
		return zt_why(err, errlen, "out of memory");
	}
	qsort(parts, n, sizeof(*parts), cmp_part);
	for (size_t i = 1; i < n; i++)
		if (overlap(&parts[i - 1], &parts[i], err, errlen)) {
			free_parts(parts, n);
			zt_capture_set_free(s);
			return -1;
		}
	for (size_t i = 1; i <= n; i++) {
		if (i < n && parts[i].run == parts[from].run)
			continue;
		if (join(parts, from, i, &s->runs[s->nruns], err, errlen)) {
			free_parts(parts, n);
			zt_capture_set_free(s);
			return -1;
		}
		s->nruns++;
		from = i;
	}
	free_parts(parts, n);
	qsort(s->runs, s->nruns, sizeof(*s->runs), cmp_run);
	for (size_t i = 0; i < s->nruns; i++)
		zt_capture_moved(&s->runs[i].c);
	return 0;
}
