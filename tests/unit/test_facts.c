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
#include "pec.h"

#define PEC_BEGIN ".\\\" begin PEC table\n"
#define PEC_END ".\\\" end PEC table\n"

/* the man page's text, and where its PEC table lies between the markers; NULL when there are none */
static char *man_page(const char *path, char **begin, char **end)
{
	FILE *f = fopen(path, "r");
	char *text = calloc(1, 1 << 20);

	if (!f || !text) {
		if (f)
			fclose(f);
		free(text);
		return NULL;
	}
	text[fread(text, 1, (1 << 20) - 1, f)] = 0;
	fclose(f);
	*begin = strstr(text, PEC_BEGIN);
	*end = *begin ? strstr(*begin, PEC_END) : NULL;
	if (!*end) {
		free(text);
		return NULL;
	}
	*begin += strlen(PEC_BEGIN);
	return text;
}

static char *pec_table(void)
{
	char *roff = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&roff, &len);

	zt_pec_man(f);
	fclose(f);
	return roff;
}

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

/* the man page's PEC table is user/pec.c's: a code added without `make facts` fails here */
static void test_man_pec_table_current(void **state)
{
	char *begin, *end, *text = man_page("docs/zpcitrace.8", &begin, &end), *want = pec_table();
	(void)state;
	assert_non_null(text);
	if (strlen(want) != (size_t)(end - begin) || strncmp(begin, want, strlen(want)))
		fail_msg("the PEC table of docs/zpcitrace.8 is not user/pec.c's: run make facts");
	assert_non_null(strstr(want, ".TP\n.B 0x0004 tprote\nIOTA protection exception"));
	free(text);
	free(want);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_are_identifiers),
		cmocka_unit_test(test_metrics_named),
		cmocka_unit_test(test_docs_current),
		cmocka_unit_test(test_man_pec_table_current),
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
	if (argc == 3 && !strcmp(argv[1], "--man")) { /* the PEC table into the man page, between its markers */
		char *begin, *end, *text = man_page(argv[2], &begin, &end), *table = pec_table();
		FILE *out;

		int rc;

		if (!text) {
			fprintf(stderr, "%s: no PEC table markers\n", argv[2]);
			free(table);
			return 1;
		}
		out = fopen(argv[2], "w");
		if (out) {
			fwrite(text, 1, (size_t)(begin - text), out);
			fputs(table, out);
			fputs(end, out);
		}
		rc = !out || fclose(out);
		free(text);
		free(table);
		return rc;
	}
	return cmocka_run_group_tests_name("facts", tests, NULL, NULL);
}
