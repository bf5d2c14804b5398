// SPDX-License-Identifier: GPL-2.0
/* The facts tables (user/facts.h, bpf/zt_losses.h): keys are identifiers, unique where they share an object;
 * metric names are Prometheus's; docs/facts.md is what the tables say. `test_facts --write FILE` writes that page
 * (make facts). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "facts.h"

static void assert_identifier(const char *key)
{
	assert_true(key[0] >= 'a' && key[0] <= 'z');
	for (const char *p = key; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			fail_msg("key '%s' is not snake_case", key);
}

struct table {
	const struct zt_fact *rows;
	size_t n;
};

/* the counters, the run figures and the losses share the summary's "counters" object */
static void test_keys_are_identifiers(void **state)
{
	const struct table shared[] = { { zt_counter_facts, ZT_NR_COUNTERS },
					{ zt_figure_facts, ZT_NR_RUN_FIGURES },
					{ zt_loss_facts, ZT_NR_LOSSES } };
	const char *seen[64];
	size_t nseen = 0;
	(void)state;
	for (size_t t = 0; t < 3; t++)
		for (size_t i = 0; i < shared[t].n; i++) {
			const struct zt_fact *r = &shared[t].rows[i];

			assert_non_null(r->key);
			assert_non_null(r->label);
			assert_non_null(r->help);
			assert_identifier(r->key);
			for (size_t k = 0; k < nseen; k++)
				if (!strcmp(seen[k], r->key))
					fail_msg("key '%s' twice in the counters object", r->key);
			assert_true(nseen < 64);
			seen[nseen++] = r->key;
		}
	for (size_t i = 0; i < ZT_NR_BOOKS; i++) {
		assert_identifier(zt_book_facts[i].key);
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(zt_book_facts[k].key, zt_book_facts[i].key);
	}
	for (size_t i = 0; i < ZT_NR_LOSSES; i++) /* the trailer's versions: MAJOR.MINOR */
		assert_non_null(zt_loss_facts[i].since);
}

static void test_metrics_named(void **state)
{
	const struct table all[] = { { zt_counter_facts, ZT_NR_COUNTERS }, { zt_loss_facts, ZT_NR_LOSSES } };
	const char *seen[64];
	size_t nseen = 0;
	(void)state;
	for (size_t t = 0; t < 2; t++)
		for (size_t i = 0; i < all[t].n; i++) {
			const char *m = all[t].rows[i].metric;
			size_t len;

			if (!m) {
				assert_true(t == 0); /* every loss is exported */
				continue;
			}
			len = strlen(m);
			assert_int_equal(strncmp(m, "zpcitrace_", 10), 0);
			assert_true(len > 6 && !strcmp(m + len - 6, "_total"));
			for (const char *p = m; *p; p++)
				assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_');
			for (size_t k = 0; k < nseen; k++)
				assert_string_not_equal(seen[k], m);
			seen[nseen++] = m;
		}
}

/* docs/facts.md is generated from the tables: a row added without `make facts` fails here */
static void test_docs_current(void **state)
{
	char *want = NULL, got[65536];
	size_t wlen = 0, glen;
	FILE *f = open_memstream(&want, &wlen);
	FILE *doc = fopen("docs/facts.md", "r");
	(void)state;
	assert_non_null(f);
	zt_facts_markdown(f);
	fclose(f);
	assert_non_null(doc);
	glen = fread(got, 1, sizeof(got) - 1, doc);
	fclose(doc);
	got[glen] = 0;
	if (strcmp(got, want))
		fail_msg("docs/facts.md is not what user/facts.h and bpf/zt_losses.h say: run make facts");
	free(want);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_are_identifiers),
		cmocka_unit_test(test_metrics_named),
		cmocka_unit_test(test_docs_current),
	};

	if (argc == 3 && !strcmp(argv[1], "--write")) {
		FILE *out = fopen(argv[2], "w");

		if (!out) {
			perror(argv[2]);
			return 1;
		}
		zt_facts_markdown(out);
		return fclose(out) ? 1 : 0;
	}
	return cmocka_run_group_tests_name("facts", tests, NULL, NULL);
}
