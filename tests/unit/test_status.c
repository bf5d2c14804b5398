// SPDX-License-Identifier: GPL-2.0
/* zpcitrace status: the queues read at start, as text and as one JSON object. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "ccdf.h"
#include "json.h"
#include "status.h"

static struct zt_event queue_ev(uint32_t fid, uint8_t mr, uint8_t count, uint8_t head)
{
	struct zt_event e;

	memset(&e, 0, sizeof(e));
	e.type = ZT_EV_QUEUE;
	e.has_fn = 1;
	e.fid = fid;
	e.fh = 0x80000000 | fid;
	e.q_valid = 1;
	e.q_mr = mr;
	e.q_count = count;
	e.q_head = head;
	e.q_tail = (uint8_t)(head + count);
	return e;
}

static void add_two_and_an_empty(struct zt_status *st)
{
	struct zt_event e = queue_ev(1, 1, 2, 3);

	assert_int_equal(zt_status_add(st, &e), 0);
	for (int k = 0; k < 2; k++) {
		struct zt_event x = e;
		struct zt_ccdf c = { .fid = 1, .pec = 4, .faddr = 0x104001002ull + k };

		x.type = ZT_EV_QUEUED;
		x.has_slot = 1;
		x.slot = (uint8_t)(3 + k) % ZT_QUEUE_DEPTH;
		zt_ccdf_encode(&c, x.ccdf);
		x.has_ccdf = 1;
		assert_int_equal(zt_status_add(st, &x), 0);
	}
	e = queue_ev(2, 0, 0, 0);
	assert_int_equal(zt_status_add(st, &e), 0);
	e.type = ZT_EV_ARRIVAL; /* not a queue event: not kept */
	assert_int_equal(zt_status_add(st, &e), 0);
	assert_int_equal(st->n, 4);
}

static int occurrences(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, what)); p++)
		n++;
	return n;
}

static char *render(const struct zt_status *st, bool json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(json ? zt_status_json : zt_status_text)(st, NULL, NULL, f);
	fclose(f);
	return text;
}

static void test_text(void **state)
{
	struct zt_status st = { 0 };
	char *t;

	(void)state;
	add_two_and_an_empty(&st);
	t = render(&st, false);
	assert_non_null(strstr(t, "zPCI functions: 2, errors queued: 2\n"));
	assert_non_null(strstr(t, "  0x00000001 0x80000001 -            -        -        yes           2    3    5\n"));
	assert_non_null(strstr(t, "    slot 3: pec=0x0004/tprote faddr=0x104001002\n    slot 0: pec=0x0004/tprote faddr=0x104001003\n"));
	/* what the code means, once for the two errors that carry it */
	assert_non_null(strstr(t, "\nPECs:\n  0x0004/tprote              IOTA protection exception (unmapped or protected DMA "
				  "address)\n"));
	assert_int_equal(occurrences(t, "IOTA protection exception"), 1);
	assert_non_null(strstr(t, "  0x00000002 0x80000002 -            -        -        no            0    0    0\n"));
	free(t);
	zt_status_free(&st);
}

static void test_json(void **state)
{
	struct zt_status st = { 0 };
	struct zt_json_doc doc;
	const struct zt_json *fns, *f1, *q;
	const char *s;
	int64_t v;
	char *t;

	(void)state;
	add_two_and_an_empty(&st);
	t = render(&st, true);
	assert_int_equal(zt_json_parse(t, strlen(t), &doc), 0);
	fns = zt_json_get(doc.root, "functions");
	assert_non_null(fns);
	f1 = fns->child;
	assert_true(zt_json_int(f1, "count", &v) && v == 2);
	q = zt_json_get(f1, "queued");
	assert_true(zt_json_int(q->child, "slot", &v) && v == 3);
	assert_true(zt_json_int(q->child->next, "slot", &v) && v == 0);
	assert_true(zt_json_str(q->child, "pec", &s) && !strcmp(s, "0x0004")); /* the code, its name apart */
	assert_true(zt_json_str(q->child, "pec_name", &s) && !strcmp(s, "tprote"));
	assert_true(zt_json_int(doc.root, "schema", &v) && v == 1);
	assert_null(q->child->next->next);
	assert_true(zt_json_int(f1->next, "count", &v) && v == 0);
	assert_null(zt_json_get(f1->next, "queued")->child);
	zt_json_free(&doc);
	free(t);
	zt_status_free(&st);
}

static void test_no_functions(void **state)
{
	struct zt_status st = { 0 };
	char *t;

	(void)state;
	t = render(&st, true);
	assert_string_equal(t, "{\"event\":\"status\",\"schema\":1,\"functions\":[]}\n");
	free(t);
	t = render(&st, false);
	assert_string_equal(t, "zPCI functions: 0, errors queued: 0\n");
	free(t);
}

/* the exporter's judgement of each consumer, from its textfile while it is fresh; its absence said */
static void test_consumer_from_the_exporter(void **state)
{
	char path[] = "/tmp/zt-status-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct zt_status st = { 0 };
	char *t;
	(void)state;

	assert_non_null(f);
	fputs("# HELP zpcitrace_consumer_state ...\n"
	      "zpcitrace_consumer_state{fid=\"0x00000001\",state=\"drains\"} 0\n"
	      "zpcitrace_consumer_state{fid=\"0x00000001\",state=\"never_reads\"} 1\n"
	      "zpcitrace_consumer_state{fid=\"0x00000002\",state=\"bogus\"} 1\n", f);
	fclose(f);
	add_two_and_an_empty(&st);
	assert_int_equal(zt_status_read_consumers(&st, path, (long long)time(NULL) + 7), 0);
	t = render(&st, false);
	assert_non_null(strstr(t, "    consumer: never reads (as zpcitrace-exporter judged it, its textfile 7 s old)\n"));
	free(t);
	t = render(&st, true);
	assert_non_null(strstr(t, "\"consumer\":\"never_reads\""));
	free(t);
	zt_status_free(&st);
	/* too old: not shown, said */
	add_two_and_an_empty(&st);
	assert_int_equal(zt_status_read_consumers(&st, path, (long long)time(NULL) + 400), 0);
	t = render(&st, false);
	assert_non_null(strstr(t, "consumer: not known (the exporter's textfile"));
	assert_non_null(strstr(t, "s old: is zpcitrace-exporter running?)\n"));
	free(t);
	t = render(&st, true);
	assert_non_null(strstr(t, "\"consumer\":null"));
	free(t);
	zt_status_free(&st);
	unlink(path);
	/* none */
	add_two_and_an_empty(&st);
	assert_int_equal(zt_status_read_consumers(&st, path, (long long)time(NULL)), 0);
	t = render(&st, false);
	assert_non_null(strstr(t, "consumer: not known (no exporter textfile"));
	free(t);
	zt_status_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_no_functions),
		cmocka_unit_test(test_consumer_from_the_exporter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
