// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: 'zpcitrace report' as a user runs it. The input's first line holds the options (--since,
 * --until, --fid, -j, --perfetto, the metrics, as "S=...;U=...;F=...;J;P;M"), the rest is the capture file, opened by path as
 * the report opens it: one capture or several one after another, plain, gzip or zstd. The report reads, filters, correlates and summarises it (text or JSON) and may write the
 * Perfetto timeline under the output rule; with M the capture is also rendered as the exporter's metrics. Any crash,
 * leak or UB is a bug, and so is a control character that the terminal escaper lets through. Build and run: make fuzz (FUZZ_RUNS=N; inputs up to 1 MiB and more). */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>
#include "args.h"
#include "capture.h"
#include "correlate.h"
#include "json.h"
#include "prom.h"
#include "report.h"
#include "summary.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the value of KEY= in the options line, copied to buf */
static const char *option(const char *opts, char key, char *buf, size_t len)
{
	for (const char *p = opts; *p; p = strchr(p, ';') ? strchr(p, ';') + 1 : "") {
		if (p[0] == key && p[1] == '=') {
			size_t n = strcspn(p + 2, ";");

			snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), p + 2);
			return buf;
		}
		if (p[0] == key && (p[1] == ';' || !p[1]))
			return "";
	}
	return NULL;
}

static void metrics(const char *capture, size_t len, FILE *sink)
{
	struct zt_capture c;
	struct zt_corr corr;
	char err[256];

	if (zt_capture_parse(capture, len, &c, err, sizeof(err))) {
		zt_capture_free(&c);
		return;
	}
	zt_corr_init(&corr);
	for (size_t i = 0; i < c.nevents; i++)
		zt_corr_add(&corr, &c.events[i], NULL);
	struct zt_snapshot s;

	zt_capture_snapshot(&c, &corr, c.ended_ns, &s);
	zt_prom_render(&s, sink);
	zt_corr_free(&corr);
	zt_capture_free(&c);
}

/* every string a text output prints from a capture passes zt_text_escape: what it returns is UTF-8 with no C0,
 * DEL or C1 control (checked here by a decoder of its own) */
static void escape_holds(const uint8_t *data, size_t size)
{
	char buf[ZT_TEXT_ESCAPED(64)];
	const unsigned char *p = (const unsigned char *)buf;

	zt_text_escape((const char *)data, size < 64 ? size : 64, buf, sizeof(buf));
	while (*p) {
		int len = *p < 0x80 ? 1 : *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3
			: *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
		uint32_t cp = len == 1 ? *p : (uint32_t)(*p & (0x7f >> len));

		if (!len)
			abort();
		for (int i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				abort();
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			abort();
		p += len;
	}
}

/* the one JSON escaper: its output, quoted, is a JSON string the reader takes, with no control byte raw (C0, DEL,
 * C1 as UTF-8) */
static void json_escape_holds(const uint8_t *data, size_t size)
{
	char buf[ZT_JSON_ESCAPED(64) + 2];
	struct zt_json_doc doc;
	size_t n;

	buf[0] = '"';
	zt_json_escape((const char *)data, size < 64 ? size : 64, buf + 1, sizeof(buf) - 2);
	n = strlen(buf);
	buf[n] = '"';
	for (size_t i = 1; i < n; i++) /* no control byte raw: C0, DEL; C1 only as \u0080..\u009f */
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f || ((unsigned char)buf[i] == 0xc2 &&
		    (unsigned char)buf[i + 1] >= 0x80 && (unsigned char)buf[i + 1] < 0xa0))
			abort();
	if (zt_json_parse(buf, n + 1, &doc) || doc.root->type != ZT_JSON_STRING)
		abort();
	zt_json_free(&doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	static int fd = -1;
	static char path[64], out_path[64];
	const char *nl = memchr(data, '\n', size < 256 ? size : 256);
	char opts[256] = "", since[64], until[64], fid[32];
	struct zt_report_opts o = { 0 };

	if (!sink) {
		sink = fopen("/dev/null", "w");
		setvbuf(sink, NULL, _IOFBF, 1 << 20); /* a summary is many small writes */
		fd = memfd_create("capture", 0); /* a regular file, opened again by path like any capture */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		snprintf(out_path, sizeof(out_path), "/tmp/zt-fuzz-%d.json", (int)getpid());
		dup2(fileno(sink), STDOUT_FILENO); /* --perfetto -: libFuzzer speaks on stderr */
	}
	escape_holds(data, size);
	json_escape_holds(data, size);
	if (nl) {
		memcpy(opts, data, (size_t)((const uint8_t *)nl - data));
		size -= (size_t)((const uint8_t *)nl - data) + 1;
		data = (const uint8_t *)nl + 1;
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	o.files[0] = path;
	o.nfiles = 1;
	o.since_arg = option(opts, 'S', since, sizeof(since));
	o.until_arg = option(opts, 'U', until, sizeof(until));
	o.json = option(opts, 'J', fid, sizeof(fid)) != NULL;
	/* P: the timeline to stdout (here /dev/null); P=FILE: to a file, under the output rule (fsync: slow) */
	const char *p = option(opts, 'P', fid, sizeof(fid));
	o.perfetto = p ? *p ? out_path : "-" : NULL;
	const char *f = option(opts, 'F', fid, sizeof(fid));
	if (f && !zt_parse_fid(f, &o.fid))
		o.fid_on = true;
	zt_report_run(&o, sink, sink);
	unlink(out_path);
	if (option(opts, 'M', fid, sizeof(fid))) /* M: the exporter's metrics too (a second parse: only when asked) */
		metrics((const char *)data, size, sink);
	return 0;
}
