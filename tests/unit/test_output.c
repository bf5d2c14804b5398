// SPDX-License-Identifier: GPL-2.0
/* The one rule for output files (atomic.h) and the strict command-line numbers (args.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "args.h"
#include "atomic.h"

static char dir[] = "/tmp/zt-out-XXXXXX";

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void expect(const char *path, const char *text)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_true(fread(buf, 1, sizeof(buf) - 1, f) <= sizeof(buf) - 1);
	fclose(f);
	assert_string_equal(buf, text);
}

static int entries(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
	FILE *p = popen(cmd, "r");
	int n = -1;
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void test_written_whole_or_not_at_all(void **state)
{
	char path[128], why[4200];
	struct zt_out o;
	(void)state;
	snprintf(path, sizeof(path), "%s/out.json", dir);
	put(path, "old");
	assert_int_equal(zt_out_open(&o, path, NULL, why, sizeof(why)), 0);
	assert_int_equal(zt_write_all(o.fd, "half", 4), 0);
	expect(path, "old"); /* a reader sees the old file while the new one is written */
	assert_int_equal(zt_out_commit(&o, -ENOSPC), -ENOSPC);
	expect(path, "old"); /* a write error: nothing replaced, no temporary file left */
	assert_int_equal(entries(), 1);
	assert_int_equal(zt_out_open(&o, path, NULL, why, sizeof(why)), 0);
	assert_int_equal(zt_write_all(o.fd, "new", 3), 0);
	assert_int_equal(zt_out_commit(&o, 0), 0);
	expect(path, "new");
	assert_int_equal(entries(), 1);
	unlink(path);
}

static void test_never_the_input_a_device_or_through_a_link(void **state)
{
	char in[128], link[128], target[128], why[4200];
	struct zt_out o;
	struct stat st;
	(void)state;
	snprintf(in, sizeof(in), "%s/cap.jsonl", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	put(in, "capture");
	assert_int_equal(zt_out_open(&o, in, in, why, sizeof(why)), -EEXIST);
	assert_non_null(strstr(why, "is the input"));
	assert_int_equal(symlink(in, link), 0); /* the input under another name */
	assert_int_equal(zt_out_open(&o, link, in, why, sizeof(why)), -EEXIST);
	expect(in, "capture");
	assert_int_equal(zt_out_open(&o, "/dev/null", NULL, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not a regular file"));
	assert_int_equal(zt_out_open(&o, dir, NULL, why, sizeof(why)), -EINVAL);
	/* a link that is not the input is replaced, its target untouched */
	unlink(link);
	put(target, "untouched");
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(zt_out_open(&o, link, in, why, sizeof(why)), 0);
	assert_int_equal(zt_write_all(o.fd, "out", 3), 0);
	assert_int_equal(zt_out_commit(&o, 0), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	expect(target, "untouched");
	unlink(link);
	unlink(target);
	unlink(in);
}

static void test_dash_is_stdout(void **state)
{
	char why[64];
	struct zt_out o;
	(void)state;
	assert_int_equal(zt_out_open(&o, "-", NULL, why, sizeof(why)), 0);
	assert_true(o.is_stdout);
	assert_int_equal(o.fd, STDOUT_FILENO);
	assert_int_equal(zt_out_commit(&o, -EPIPE), -EPIPE); /* its error is the caller's exit status */
	assert_false(access("-", F_OK) == 0);
}

/* a capture is renamed into place at its start and keeps being written there (a killed recorder leaves it) */
static void test_published_while_written(void **state)
{
	char path[128], why[4200];
	struct zt_out o;
	(void)state;
	snprintf(path, sizeof(path), "%s/cap.jsonl", dir);
	assert_int_equal(zt_out_open(&o, path, NULL, why, sizeof(why)), 0);
	assert_int_equal(zt_write_all(o.fd, "head", 4), 0);
	assert_int_equal(zt_out_publish(&o), 0);
	expect(path, "head");
	assert_int_equal(zt_write_all(o.fd, "+more", 5), 0);
	assert_int_equal(zt_out_commit(&o, 0), 0);
	expect(path, "head+more");
	assert_int_equal(entries(), 1);
	unlink(path);
}

static void test_fid_is_decimal_or_hex_never_octal(void **state)
{
	uint32_t fid;
	(void)state;
	assert_int_equal(zt_parse_fid("010", &fid), 0);
	assert_int_equal(fid, 10);
	assert_int_equal(zt_parse_fid("08", &fid), 0);
	assert_int_equal(fid, 8);
	assert_int_equal(zt_parse_fid("0x1F", &fid), 0);
	assert_int_equal(fid, 0x1f);
	assert_int_equal(zt_parse_fid("4294967295", &fid), 0);
	assert_int_equal(fid, 0xffffffffu);
	static const char *const bad[] = { "", "0x", "-1", "+1", " 1", "1 ", "4294967296", "0x100000000", "1e3", "0b1",
					   "0x-1", "99999999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!zt_parse_fid(bad[i], &fid))
			fail_msg("'%s' read as fid %u", bad[i], fid);
}

static void test_numbers_are_strict(void **state)
{
	unsigned long n;
	uint64_t ns;
	const char *end;
	(void)state;
	assert_int_equal(zt_parse_count("15", 100, &n), 0);
	assert_int_equal(n, 15);
	static const char *const bad[] = { "0", "101", "-1", "+5", " 5", "5s", "1e1", "inf", "nan", "0x10", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!zt_parse_count(bad[i], 100, &n))
			fail_msg("'%s' read as %lu", bad[i], n);
	assert_int_equal(zt_parse_seconds_ns("12.5", 100, &ns, &end), 0);
	assert_int_equal(ns, 12500000000ull);
	assert_int_equal(zt_parse_seconds_ns("1.0000000019", 100, &ns, &end), 0);
	assert_int_equal(ns, 1000000001ull);
	static const char *const bad_s[] = { "1e300", "inf", "nan", "-1", "+1", ".5", "5.", "101", "18446744073709551616" };
	for (size_t i = 0; i < sizeof(bad_s) / sizeof(bad_s[0]); i++)
		if (!zt_parse_seconds_ns(bad_s[i], 100, &ns, &end) && !*end)
			fail_msg("'%s' read as %llu ns", bad_s[i], (unsigned long long)ns);
}

/* /dev/stdout is stdout; /dev/stderr and links into /proc are refused with the way to stdout, and nothing is
 * replaced (as root, a rename over /dev/stdout replaced the system's link with a file) */
static void test_descriptor_names_never_replaced(void **state)
{
	char link[128], why[4200], target[64];
	struct zt_out o;
	ssize_t n;
	(void)state;
	assert_int_equal(zt_out_open(&o, "/dev/stdout", NULL, why, sizeof(why)), 0);
	assert_true(o.is_stdout);
	assert_int_equal(o.fd, STDOUT_FILENO);
	assert_int_equal(zt_out_open(&o, "/proc/self/fd/1", NULL, why, sizeof(why)), 0);
	assert_true(o.is_stdout);
	assert_int_equal(zt_out_open(&o, "/dev/stderr", NULL, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "give '-' for stdout"));
	assert_int_equal(zt_out_open(&o, "/proc/self/fd/2", NULL, why, sizeof(why)), -EINVAL);
	snprintf(link, sizeof(link), "%s/out", dir);
	assert_int_equal(symlink("/proc/self/fd/2", link), 0);
	assert_int_equal(zt_out_open(&o, link, NULL, why, sizeof(why)), -EINVAL);
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = 0;
	assert_string_equal(target, "/proc/self/fd/2"); /* the link itself untouched */
	assert_int_equal(entries(), 1);
	unlink(link);
	assert_int_equal(zt_out_open(&o, "", NULL, why, sizeof(why)), -EINVAL);
}

static mode_t written_mode(const char *path, mode_t mask)
{
	char why[4200];
	struct zt_out o;
	struct stat st;
	mode_t old = umask(mask);

	assert_int_equal(zt_out_open(&o, path, NULL, why, sizeof(why)), 0);
	assert_int_equal(zt_out_commit(&o, 0), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 0777;
}

/* a new output gets what the umask leaves of 0666; one that replaces a 0600 file stays 0600 */
static void test_mode_follows_umask(void **state)
{
	char path[128];
	(void)state;
	snprintf(path, sizeof(path), "%s/cap.jsonl", dir);
	assert_int_equal(written_mode(path, 077), 0600);
	unlink(path);
	assert_int_equal(written_mode(path, 022), 0644);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(written_mode(path, 022), 0600);
	unlink(path);
}

/* SIGTERM (as SIGINT and SIGHUP) while an output is written: the program dies of it, no temporary file stays */
static void test_signal_removes_temporary_file(void **state)
{
	int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		char path[128], why[4200];
		int status;
		pid_t pid;

		snprintf(path, sizeof(path), "%s/t.json", dir);
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			struct zt_out o;

			if (zt_out_open(&o, path, NULL, why, sizeof(why)) || zt_write_all(o.fd, "part", 4))
				_exit(2);
			zt_out_remove_on_signal(&o);
			raise(sigs[i]);
			_exit(3);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == sigs[i]);
		assert_int_equal(entries(), 0);
	}
}

/* an output path is checked when the command line is read, before anything starts */
static void test_output_path_checked_early(void **state)
{
	char why[4200], path[160];
	(void)state;
	assert_int_equal(zt_check_output_path("", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "empty"));
	assert_int_equal(zt_check_output_path("/nonexistent-zt/x.prom", why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "cannot write /nonexistent-zt/x.prom: no directory /nonexistent-zt");
	snprintf(path, sizeof(path), "%s/x.prom", dir);
	assert_int_equal(zt_check_output_path(path, why, sizeof(why)), 0);
	assert_int_equal(zt_check_output_path("-", why, sizeof(why)), 0);
	assert_int_equal(zt_check_output_path("x.prom", why, sizeof(why)), 0);
	assert_int_equal(zt_check_output_path("/x.prom", why, sizeof(why)), 0);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_written_whole_or_not_at_all),
		cmocka_unit_test(test_never_the_input_a_device_or_through_a_link),
		cmocka_unit_test(test_dash_is_stdout),
		cmocka_unit_test(test_published_while_written),
		cmocka_unit_test(test_fid_is_decimal_or_hex_never_octal),
		cmocka_unit_test(test_numbers_are_strict),
		cmocka_unit_test(test_descriptor_names_never_replaced),
		cmocka_unit_test(test_mode_follows_umask),
		cmocka_unit_test(test_signal_removes_temporary_file),
		cmocka_unit_test(test_output_path_checked_early),
	};
	return cmocka_run_group_tests_name("output", tests, setup, teardown);
}
