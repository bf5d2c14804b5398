// SPDX-License-Identifier: GPL-2.0
#include <argp.h>
#include <stdbool.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "args.h"
#include "atomic.h"

/* digits only from s, at most max_digits of them, value <= max; where they end in *end */
static int digits(const char *s, int base, uint64_t max, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;

	for (;; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0'
			: base == 16 && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
			: base == 16 && *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;

		if (d < 0)
			break;
		if (v > (max - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (p == s)
		return -1;
	*out = v;
	*end = p;
	return 0;
}

void zt_once(const char *cmd, const char *option, const void *seen)
{
	if (seen)
		zt_usage_error(cmd, "%s is given twice", option);
}

int zt_check_output_path(const char *path, char *why, size_t whylen)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct stat st;

	if (!*path) {
		snprintf(why, whylen, "an empty file name ('-' is stdout)");
		return -EINVAL;
	}
	if (zt_out_is_stdout(path) || !slash)
		return 0;
	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "cannot write %s: no directory %s", path, dir);
		return -ENOENT;
	}
	return 0;
}

int zt_parse_fid(const char *arg, uint32_t *fid)
{
	bool hex = arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X');
	const char *end;
	uint64_t v;

	/* never octal: "010" is ten, as an operator reading it means */
	if (digits(hex ? arg + 2 : arg, hex ? 16 : 10, 0xffffffffu, &v, &end) || *end)
		return -1;
	*fid = (uint32_t)v;
	return 0;
}

int zt_parse_count(const char *arg, unsigned long max, unsigned long *out)
{
	const char *end;
	uint64_t v;

	if (digits(arg, 10, max, &v, &end) || *end || !v)
		return -1;
	*out = (unsigned long)v;
	return 0;
}

int zt_parse_file_size(const char *arg, uint64_t *bytes)
{
	const char *end;
	uint64_t v, unit = 1000000;

	if (digits(arg, 10, 1000000, &v, &end) || !v)
		return -1;
	if (*end && !end[1])
		unit = *end == 'k' || *end == 'K' ? 1024ull : *end == 'm' || *end == 'M' ? 1ull << 20
		     : *end == 'g' || *end == 'G' ? 1ull << 30 : 0;
	else if (*end)
		unit = 0;
	if (!unit || v * unit < ZT_FILE_SIZE_MIN || v * unit > ZT_FILE_SIZE_MAX)
		return -1;
	*bytes = v * unit;
	return 0;
}

int zt_parse_seconds_ns(const char *arg, uint64_t max_s, uint64_t *ns, const char **end)
{
	uint64_t s, frac = 0, scale = 100000000;
	const char *p;

	if (digits(arg, 10, max_s, &s, &p))
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (uint64_t)(*p - '0') * scale; /* beyond 9 digits: scale is 0, the digits are ignored */
	}
	*ns = s * 1000000000ull + frac;
	*end = p;
	return 0;
}

void zt_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("zpcitrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see zpcitrace%s%s --help)\n", cmd ? " " : "", cmd ? cmd : "");
	exit(ZT_EXIT_USAGE);
}

static const struct argp_option *find_long(const struct argp_option *o, const char *name, size_t len)
{
	for (; o->name || o->key || o->doc; o++)
		if (o->name && strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

static const struct argp_option *find_short(const struct argp_option *o, int key)
{
	for (; o->name || o->key || o->doc; o++)
		if (o->key == key && key > ' ' && key < 127)
			return o;
	return NULL;
}

/* an error in word, said; false when word is fine (the error is in the next one) */
static bool word_error(const char *cmd, const struct argp_option *opts, const char *word);

void zt_bad_word(const char *cmd, const struct argp_option *opts, char **argv, int argc, int next)
{
	if (next > 1 && next - 1 < argc)
		word_error(cmd, opts, argv[next - 1]);
	if (next >= 1 && next < argc)
		word_error(cmd, opts, argv[next]);
	zt_usage_error(cmd, "bad command line");
}

const char *zt_version_libraries;

void zt_std_option(int key, struct argp_state *state)
{
	extern const char *argp_program_version;

	if (key == ZT_OPT_HELP)
		argp_help(state->root_argp, stdout, ARGP_HELP_STD_HELP, state->name);
	else if (key == ZT_OPT_USAGE)
		argp_help(state->root_argp, stdout, ARGP_HELP_USAGE, state->name);
	else if (key == ZT_OPT_VERSION && zt_version_libraries)
		printf("%s\n%s\n", argp_program_version, zt_version_libraries);
	else if (key == ZT_OPT_VERSION)
		puts(argp_program_version);
	else
		return;
	exit(fflush(stdout) || ferror(stdout) ? 1 : 0); /* --help > /dev/full fails */
}

static bool word_error(const char *cmd, const struct argp_option *opts, const char *word)
{
	const struct argp_option *o;

	if (word[0] != '-' || !word[1])
		return false;
	if (word[1] == '-') {
		const char *eq = strchr(word, '=');
		size_t len = eq ? (size_t)(eq - word - 2) : strlen(word + 2);

		o = find_long(opts, word + 2, len);
		if (!o)
			zt_usage_error(cmd, "unknown option '%.*s'", (int)len + 2, word);
		zt_usage_error(cmd, o->arg ? "option '--%s' needs a value" : "option '--%s' takes no value", o->name);
	}
	for (const char *p = word + 1; *p; p++) {
		o = find_short(opts, *p);
		if (!o)
			zt_usage_error(cmd, "unknown option '-%c'", *p);
		if (o->arg && !p[1])
			zt_usage_error(cmd, "option '-%c' needs a value", *p);
		if (o->arg)
			return false; /* the rest of the word is its value */
	}
	return false;
}
