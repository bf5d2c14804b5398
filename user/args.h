/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line values shared by zpcitrace's parsers (live, record, status, report): numbers parsed strictly
 * (digits only: no sign, space, exponent, inf or nan; never octal; bounded), and usage errors as one line. */
#ifndef ZPCITRACE_ARGS_H
#define ZPCITRACE_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZT_EXIT_USAGE 64 /* EX_USAGE, as argp */

struct argp_option;

/* a function id: decimal or 0x hex, 0 to 0xffffffff; 0 or -1 */
int zt_parse_fid(const char *arg, uint32_t *fid);
/* a whole number from 1 to max; 0 or -1 */
int zt_parse_count(const char *arg, unsigned long max, unsigned long *out);
/* record -C, as tcpdump's: million bytes, or with a suffix k/K, m/M, g/G KiB, MiB, GiB; from one line's room
 * (4 KiB) to 10^12 bytes. 0 or -1 */
#define ZT_FILE_SIZE_MIN 4096ull
#define ZT_FILE_SIZE_MAX 1000000000000ull
int zt_parse_file_size(const char *arg, uint64_t *bytes);
/* SECONDS[.FRACTION] at arg, at most max_s whole seconds, as ns (digits beyond the 9th ignored); *end where it
 * stops. 0 or -1 */
int zt_parse_seconds_ns(const char *arg, uint64_t max_s, uint64_t *ns, const char **end);
/* an option given twice is a usage error, not the last one silently winning: seen is its earlier value (NULL:
 * not given yet) */
void zt_once(const char *cmd, const char *option, const void *seen);
/* an output path that can be written at all, checked before anything starts: not empty, "-" or a file whose
 * directory exists. 0, -EINVAL for an empty name (a usage error), -ENOENT for a missing directory (an output
 * that cannot be written), with a one-line reason in why */
int zt_check_output_path(const char *path, char *why, size_t whylen);
/* "zpcitrace: WHAT (see zpcitrace [CMD] --help)" on stderr, exit 64 */
__attribute__((noreturn, format(printf, 2, 3))) void zt_usage_error(const char *cmd, const char *fmt, ...);
/* The usage error for a word argp refused: an unknown option, a missing value. argp with ARGP_NO_ERRS says
 * nothing itself (its own message takes two or three lines, getopt's names argv[0]); the word is at next - 1,
 * or at next while getopt is inside a cluster of short options. */
__attribute__((noreturn)) void zt_bad_word(const char *cmd, const struct argp_option *opts, char **argv, int argc,
					   int next);
/* --help, --usage and -V/--version, which ARGP_NO_ERRS would silence: options of each parser (ZT_ARGS_STD) and
 * handled by zt_std_option. 1 when key was one of them (it exits), else 0 */
enum { ZT_OPT_HELP = 'h', ZT_OPT_USAGE = 0x1f00, ZT_OPT_VERSION = 'V' };
#define ZT_ARGS_STD                                                                    \
	{ "help", ZT_OPT_HELP, NULL, 0, "Give this help list", -1 },                   \
	{ "usage", ZT_OPT_USAGE, NULL, 0, "Give a short usage message", -1 },          \
	{ "version", ZT_OPT_VERSION, NULL, 0, "Print program version", -1 }
struct argp_state;
void zt_std_option(int key, struct argp_state *state);
/* --version's second line: the libraries built in (set by main, where they are linked) */
extern const char *zt_version_libraries;

#endif
