// SPDX-License-Identifier: GPL-2.0
/* Event lines: what an operator (and the e2e tests) read. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <linux/vfio.h>
#include "ccdf.h"
#include "correlate.h"
#include "format.h"
#include "text.h"

#define GET_ZPCI_ERROR (VFIO_DEVICE_FEATURE_GET | 13)

static struct zt_event event(uint32_t type)
{
	struct zt_event e;
	memset(&e, 0, sizeof(e));
	e.type = type;
	e.ts_ns = 1000000000ull;
	e.cpu = 1;
	e.pid = 42;
	strcpy(e.comm, "qemu-system-s39"); /* 15 chars: a full comm */
	e.get_ret = ZT_NOT_CALLED;
	return e;
}

static void set_ccdf(struct zt_event *e, uint16_t pec, uint64_t faddr)
{
	struct zt_ccdf c = { .fh = 0x80020000, .fid = 1, .pec = pec, .faddr = faddr, .q = 1 };
	zt_ccdf_encode(&c, e->ccdf);
	e->has_ccdf = 1;
}

static const struct zt_format_opts plain;

static void test_arrival(void **state)
{
	struct zt_event e = event(ZT_EV_ARRIVAL);
	char buf[512];
	(void)state;
	e.has_fn = 1;
	e.fid = 1;
	e.fh = 0x80020000;
	set_ccdf(&e, 0x0004, 0x104001002);
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_string_equal(buf, "arrival  fid=0x00000001 fh=0x80020000 pec=0x0004/tprote faddr=0x104001002 q=1 rw=0 mvn=0 "
				 "cpu=1 pid=42 comm=qemu-system-s39");
}

static void test_unknown_pec_in_hex(void **state)
{
	struct zt_event e = event(ZT_EV_ARRIVAL);
	char buf[512];
	(void)state;
	set_ccdf(&e, 0x0abc, 0);
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, " pec=0x0abc faddr="));
}

static void test_dequeue_ok_and_empty(void **state)
{
	struct zt_event e = event(ZT_EV_FEATURE);
	char buf[512];
	(void)state;
	e.flags = GET_ZPCI_ERROR;
	e.get_ret = 0;
	e.has_fn = 1;
	e.fid = 1;
	e.fh = 0x80020000;
	e.q_valid = 1;
	e.q_mr = 1;
	e.q_head = 5;
	e.q_tail = 7;
	e.q_count = 2;
	set_ccdf(&e, 0x0002, 0x2002);
	assert_int_equal(zt_feature_kind(&e), ZT_FEATURE_DEQUEUE);
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_string_equal(buf, "dequeue  fid=0x00000001 fh=0x80020000 rc=0 pec=0x0002/oorange faddr=0x2002 "
				 "queue=2 head=5 tail=7 mr=1 cpu=1 pid=42 comm=qemu-system-s39");
	e.has_ccdf = 0;
	e.get_ret = e.ret = -ENOMSG;
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, "dequeue  fid=0x00000001 fh=0x80020000 rc=-ENOMSG queue=2"));
	assert_false(zt_dequeue_lost(&e));
}

static void test_queued_at_start_and_its_dequeue(void **state)
{
	struct zt_event e = event(ZT_EV_QUEUED);
	struct zt_match n = { .matched = true, .at_start = true, .latency_ns = 2500000 };
	char buf[512];
	(void)state;
	e.has_slot = 1;
	e.slot = 2;
	set_ccdf(&e, 0x0004, 0x104001002);
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_string_equal(buf, "queued   slot=2 pec=0x0004/tprote faddr=0x104001002 before_start=1 cpu=1 pid=42 "
				 "comm=qemu-system-s39");
	e = event(ZT_EV_FEATURE);
	e.flags = GET_ZPCI_ERROR;
	e.ret = e.get_ret = 0;
	e.has_slot = 1;
	e.slot = 2;
	set_ccdf(&e, 0x0004, 0x104001002);
	zt_format_event(&e, &n, &plain, buf, sizeof(buf));
	assert_string_equal(buf, "dequeue  rc=0 slot=2 pec=0x0004/tprote faddr=0x104001002 queued_before_start=1 "
				 "waited_us_min=2500 cpu=1 pid=42 comm=qemu-system-s39");
}

static void test_dequeue_seen_in_vmlinux_alone(void **state)
{
	struct zt_event e = event(ZT_EV_FEATURE);
	char buf[512];
	(void)state;
	e.via_get = 1; /* flags unknown: no feature call was traced around it */
	e.ret = e.get_ret = -ENOMSG;
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_string_equal(buf, "dequeue  rc=-ENOMSG via=zpci_get_pending_error cpu=1 pid=42 comm=qemu-system-s39");
	assert_int_equal(zt_feature_kind(&e), ZT_FEATURE_DEQUEUE);
	assert_false(zt_dequeue_lost(&e));
}

static void test_efault_after_dequeue_is_lost(void **state)
{
	struct zt_event e = event(ZT_EV_FEATURE);
	char buf[512];
	(void)state;
	e.flags = GET_ZPCI_ERROR;
	e.get_ret = 0;
	e.ret = -EFAULT;
	set_ccdf(&e, 0x0004, 0x104101002);
	assert_true(zt_dequeue_lost(&e));
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, "rc=-EFAULT pec=0x0004/tprote faddr=0x104101002 lost=1 "));
	/* -EFAULT before anything was dequeued (copy_from_user of the argument) loses nothing */
	e.get_ret = ZT_NOT_CALLED;
	assert_false(zt_dequeue_lost(&e));
}

static void test_probe_and_other_feature_calls(void **state)
{
	struct zt_event e = event(ZT_EV_FEATURE);
	char buf[512];
	(void)state;
	e.flags = VFIO_DEVICE_FEATURE_PROBE | GET_ZPCI_ERROR;
	assert_string_equal(zt_event_name(&e), "probe");
	e.flags = VFIO_DEVICE_FEATURE_SET | 13;
	e.ret = -EINVAL;
	assert_string_equal(zt_event_name(&e), "feature");
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, "feature  flags=0x2000d rc=-EINVAL "));
}

static void test_timestamp_is_utc_wall_clock(void **state)
{
	struct zt_event e = event(ZT_EV_ARRIVAL);
	/* monotonic 1 s + offset = 1970-01-02 03:04:05.678901 UTC */
	struct zt_format_opts o = { .timestamp = 1, .realtime_off = (86400LL + 3 * 3600 + 4 * 60 + 4) * 1000000000LL + 678901000 };
	char buf[512];
	(void)state;
	zt_format_event(&e, NULL, &o, buf, sizeof(buf));
	assert_memory_equal(buf, "03:04:05.678901 arrival ", 24);
}

static void test_truncation_is_safe(void **state)
{
	struct zt_event e = event(ZT_EV_ARRIVAL);
	char buf[20], full[512];
	(void)state;
	set_ccdf(&e, 0x0004, 1);
	int n = zt_format_event(&e, NULL, &plain, full, sizeof(full));
	assert_int_equal(n, (int)strlen(full));
	assert_int_equal(zt_format_event(&e, NULL, &plain, buf, sizeof(buf)), n);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_memory_equal(buf, full, sizeof(buf) - 1);
}

static void set_fn(struct zt_event *e)
{
	e->has_fn = 1;
	e->fid = 0x12;
	e->fh = 0x80020012;
	e->has_pci = 1;
	e->pci_domain = 0x1f;
	e->pci_bus = 0;
	e->pci_devfn = 0x0a; /* slot 1, function 2 */
	e->q_valid = 1;
	e->q_mr = 1;
}

static void test_enqueue_results(void **state)
{
	struct zt_event e = event(ZT_EV_ENQUEUE);
	char buf[512];
	(void)state;
	set_fn(&e);
	set_ccdf(&e, 0x0004, 0x1000);
	e.result = ZT_ENQ_STORED;
	e.has_slot = 1;
	e.slot = 3;
	e.q_count = 1;
	e.q_tail = 4;
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_string_equal(buf, "enqueue  fid=0x00000012 fh=0x80020012 pci=001f:00:01.2 result=stored slot=3 "
				 "pec=0x0004/tprote faddr=0x1000 via=store-hook queue=1 head=0 tail=4 mr=1 "
				 "cpu=1 pid=42 comm=qemu-system-s39");
	e.result = ZT_ENQ_DROPPED_FULL;
	e.has_slot = 0;
	e.derived = 1;
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, " result=dropped-full pec=0x0004/tprote faddr=0x1000 via=queue-state "));
	e.result = ZT_ENQ_NOT_STORED;
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, " result=not-stored "));
	e.result = 99;
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, " result=unknown "));
}

static void test_lifecycle_events(void **state)
{
	struct zt_event e = event(ZT_EV_NOTIFY);
	char buf[512];
	(void)state;
	set_fn(&e);
	e.state = 2;
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, "notify   fid=0x00000012 fh=0x80020012 pci=001f:00:01.2 state=frozen queue="));
	e.state = 7;
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, " state=7 "));
	e.type = ZT_EV_CLOSE;
	e.discarded = 2;
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, "close    fid=0x00000012 fh=0x80020012 pci=001f:00:01.2 discarded=2 queue="));
	e.type = ZT_EV_OPEN;
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, "open     fid=0x00000012 fh=0x80020012 pci=001f:00:01.2 queue=0 head=0 tail=0 mr=1 "));
	e.type = ZT_EV_RESET;
	e.ret = -EIO;
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, "reset    fid=0x00000012 fh=0x80020012 pci=001f:00:01.2 rc=-EIO queue="));
}

static void test_availability_has_no_faddr(void **state)
{
	struct zt_event e = event(ZT_EV_AVAIL);
	char buf[512];
	(void)state;
	e.has_fn = 1;
	e.fid = 9;
	e.fh = 0x20002;
	set_ccdf(&e, 0x0301, 0);
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_string_equal(buf, "avail    fid=0x00000009 fh=0x00020002 pec=0x0301/to_configured cpu=1 pid=42 comm=qemu-system-s39");
}

static void test_dequeue_slot_and_v12(void **state)
{
	struct zt_event e = event(ZT_EV_FEATURE);
	char buf[512];
	(void)state;
	e.flags = GET_ZPCI_ERROR;
	e.get_ret = 0;
	e.has_slot = 1;
	e.slot = 2;
	set_ccdf(&e, 0x0002, 0x2002);
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, "dequeue  rc=0 slot=2 pec=0x0002/oorange faddr=0x2002 cpu="));
	/* v12: the CCDF of the entry the dequeue took, from its slot; the form says so */
	e = event(ZT_EV_FEATURE);
	e.flags = VFIO_DEVICE_FEATURE_GET | 12;
	e.v12 = 1;
	e.v12_pec = 0x0004;
	e.get_ret = 0;
	e.has_slot = 1;
	e.slot = 1;
	set_ccdf(&e, 0x0004, 0x104001002);
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, "dequeue  rc=0 uapi=v12 slot=1 pec=0x0004/tprote faddr=0x104001002 cpu="));
	/* its answer alone, where the entry was not seen */
	e.has_slot = e.has_ccdf = 0;
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, "dequeue  rc=0 uapi=v12 pec=0x0004/tprote cpu="));
	/* the empty answer: rc 0, and says empty */
	e.v12_pec = 0;
	e.get_ret = -ENOMSG;
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, "dequeue  rc=0 uapi=v12 empty=1 cpu="));
}

static void test_correlation_note(void **state)
{
	struct zt_event e = event(ZT_EV_FEATURE);
	struct zt_match n = { .matched = true, .latency_ns = 1234567 };
	char buf[512];
	(void)state;
	e.flags = GET_ZPCI_ERROR;
	e.get_ret = 0;
	set_ccdf(&e, 0x0004, 0x10);
	zt_format_event(&e, &n, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, " faddr=0x10 latency_us=1234.567 cpu="));
	n = (struct zt_match){ .unmatched = true };
	zt_format_event(&e, &n, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, " faddr=0x10 unmatched=1 cpu="));
}

/* -j: the same fields as the text line, as one JSON object */
static void test_json_has_the_text_fields(void **state)
{
	struct zt_event e = event(ZT_EV_ENQUEUE);
	struct zt_format_opts o = { .realtime_off = 0 };
	char text[512], json[1024], *p;
	(void)state;
	e.has_fn = 1;
	e.fid = 1;
	e.result = ZT_ENQ_STORED;
	e.has_slot = 1;
	e.q_valid = 1;
	e.q_count = 1;
	strcpy(e.comm, "a\"b\\c\x01");
	set_ccdf(&e, 0x0004, 0x10);
	zt_format_event_json(&e, NULL, &o, json, sizeof(json));
	assert_string_equal(json, "{\"event\":\"enqueue\",\"ts_ns\":1000000000,\"time\":\"1970-01-01T00:00:01.000000Z\","
				  "\"fid\":\"0x00000001\",\"fh\":\"0x00000000\",\"result\":\"stored\",\"slot\":0,"
				  "\"pec\":\"0x0004\",\"pec_name\":\"tprote\",\"faddr\":\"0x10\",\"via\":\"store-hook\",\"queue\":1,"
				  "\"head\":0,\"tail\":0,\"mr\":0,\"cpu\":1,\"pid\":42,\"comm\":\"a\\\"b\\\\c\\u0001\"}");
	/* every key of the text line is a key of the JSON object (which may add KEY_name) */
	zt_format_event(&e, NULL, &plain, text, sizeof(text));
	for (p = strchr(text, ' '); p; p = strchr(p + 1, ' ')) {
		char key[40];
		if (p[1] != ' ' && sscanf(p + 1, "%39[^= ]=", key) == 1) {
			char quoted[48];
			snprintf(quoted, sizeof(quoted), "\"%s\":", key);
			assert_non_null(strstr(json, quoted));
		}
	}
}

static void test_errname(void **state)
{
	char buf[32];
	(void)state;
	assert_string_equal(zt_errname(-ENOMSG, buf, sizeof(buf)), "-ENOMSG");
	assert_string_equal(zt_errname(0, buf, sizeof(buf)), "0");
	assert_string_equal(zt_errname(-4095, buf, sizeof(buf)), "-4095");
}

/* C0, DEL, C1 (raw and as UTF-8) and bytes that are not UTF-8 come out as \xNN; printable UTF-8 as it is */
static void test_text_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "qemu", "qemu" },
		{ "\x1b[8m", "\\x1b[8m" },
		{ "a\x7f\tb\n", "a\\x7f\\x09b\\x0a" },
		{ "\x9b" "2J", "\\x9b2J" },          /* a raw C1 CSI */
		{ "\xc2\x9b" "2J", "\\xc2\\x9b2J" }, /* the same as UTF-8 */
		{ "qemu-\xc3\xa9", "qemu-\xc3\xa9" },  /* é */
		{ "\xe2\x82\xac\xf0\x9f\x98\x80", "\xe2\x82\xac\xf0\x9f\x98\x80" },
		{ "\xff\xc3", "\\xff\\xc3" },        /* not UTF-8, and a sequence cut short */
		{ "\xff\x9d\x99", "\\xff\\x9d\\x99" }, /* a lead byte no UTF-8 has, then C1 bytes (the fuzzer's) */
		{ "\xc0\xaf\xed\xa0\x80", "\\xc0\\xaf\\xed\\xa0\\x80" }, /* overlong, a surrogate */
	};
	char buf[64];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(zt_text_escape(cases[i].in, strlen(cases[i].in), buf, sizeof(buf)), cases[i].out);
	/* cut at the buffer, never inside an escape */
	assert_string_equal(zt_text_escape("ab\x1b", 3, buf, 5), "ab");
}

/* the live view prints a VMM's comm: a process named \e[8m cannot hide the lines after it */
static void test_live_comm_escaped(void **state)
{
	struct zt_event e = event(ZT_EV_ARRIVAL);
	char buf[512];
	(void)state;
	memcpy(e.comm, "\x1b[8mx\x9b\x07\0", 9);
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, " comm=\\x1b[8mx\\x9b\\x07"));
	for (const char *p = buf; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f && (unsigned char)*p != 0x9b);
}

/* -j's values are typed: rc a number (-42 for -ENOMSG) with its errno's name, pec the code with its name apart, time RFC 3339 */
static void test_json_values_typed(void **state)
{
	struct zt_event e = event(ZT_EV_FEATURE);
	/* 2026-12-07T02:26:13.5 UTC is 1796610373.5 s after the epoch; the event 1 s after boot */
	struct zt_format_opts o = { .realtime_off = 1796610372500000000LL };
	char json[1024], want[64];
	(void)state;
	e.has_fn = 1;
	e.flags = GET_ZPCI_ERROR;
	e.ret = -ENOMSG;
	e.get_ret = -ENOMSG;
	zt_format_event_json(&e, NULL, &o, json, sizeof(json));
	assert_non_null(strstr(json, "\"time\":\"2026-12-07T02:26:13.500000Z\""));
	snprintf(want, sizeof(want), ",\"rc\":%d,\"rc_name\":\"ENOMSG\",", -ENOMSG);
	assert_non_null(strstr(json, want));
	e.ret = e.get_ret = 0;
	set_ccdf(&e, 0x0abc, 0x10);
	zt_format_event_json(&e, NULL, &o, json, sizeof(json));
	assert_non_null(strstr(json, ",\"rc\":0,\"slot\"") ?: strstr(json, ",\"rc\":0,\"pec\""));
	assert_null(strstr(json, "rc_name"));
	assert_non_null(strstr(json, ",\"pec\":\"0x0abc\",\"faddr\"")); /* no name for an unknown code */
	assert_null(strstr(json, "pec_name"));
}

/* the calendar without gmtime: leap days, the epoch, centuries */
static void test_rfc3339_dates(void **state)
{
	static const struct {
		long long unix_s;
		const char *want;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000000Z" },
		{ 951782400, "2000-02-29T00:00:00.000000Z" },
		{ 1709251199, "2024-02-29T23:59:59.000000Z" },
		{ 4107542400, "2100-03-01T00:00:00.000000Z" },
	};
	char buf[40];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(zt_rfc3339(0, cases[i].unix_s * 1000000000LL, buf, sizeof(buf)), cases[i].want);
}

/* the one JSON escaper: UTF-8 as it is, controls as \u00XX, a byte that is not UTF-8 as U+FFFD */
static void test_json_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "qemu-\xc3\xa9", "qemu-\xc3\xa9" },          /* é, not \u00c3\u00a9 */
		{ "a\"b\\c", "a\\\"b\\\\c" },
		{ "\x01\x1b\x7f", "\\u0001\\u001b\\u007f" },
		{ "\xc2\x9b", "\\u009b" },                      /* C1 CSI as UTF-8 */
		{ "\xff\xc3", "\\ufffd\\ufffd" },              /* not UTF-8, a sequence cut short */
		{ "\xe2\x82\xac", "\xe2\x82\xac" },
	};
	char buf[64];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(zt_json_escape(cases[i].in, strlen(cases[i].in), buf, sizeof(buf)), cases[i].out);
	assert_string_equal(zt_json_escape("ab\xe2\x82\xac", 5, buf, 5), "ab"); /* never cut inside a sequence */
}

/* key=value that a parser can split: QEMU's vCPU threads are "CPU 0/KVM" */
static void test_text_values_quoted(void **state)
{
	struct zt_event e = event(ZT_EV_ARRIVAL);
	char buf[512];
	(void)state;
	strcpy(e.comm, "CPU 0/KVM");
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, " comm=\"CPU 0/KVM\""));
	strcpy(e.comm, "a=\"b\\");
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, " comm=\"a=\\\"b\\\\\""));
	strcpy(e.comm, "qemu\\x");
	zt_format_event(&e, NULL, &plain, buf, sizeof(buf));
	assert_non_null(strstr(buf, " comm=qemu\\x")); /* logfmt: a backslash alone needs no quotes */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arrival),
		cmocka_unit_test(test_unknown_pec_in_hex),
		cmocka_unit_test(test_dequeue_ok_and_empty),
		cmocka_unit_test(test_efault_after_dequeue_is_lost),
		cmocka_unit_test(test_queued_at_start_and_its_dequeue),
		cmocka_unit_test(test_dequeue_seen_in_vmlinux_alone),
		cmocka_unit_test(test_probe_and_other_feature_calls),
		cmocka_unit_test(test_timestamp_is_utc_wall_clock),
		cmocka_unit_test(test_truncation_is_safe),
		cmocka_unit_test(test_enqueue_results),
		cmocka_unit_test(test_lifecycle_events),
		cmocka_unit_test(test_availability_has_no_faddr),
		cmocka_unit_test(test_dequeue_slot_and_v12),
		cmocka_unit_test(test_correlation_note),
		cmocka_unit_test(test_json_has_the_text_fields),
		cmocka_unit_test(test_errname),
		cmocka_unit_test(test_text_escape),
		cmocka_unit_test(test_live_comm_escaped),
		cmocka_unit_test(test_json_values_typed),
		cmocka_unit_test(test_rfc3339_dates),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_text_values_quoted),
	};
	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
