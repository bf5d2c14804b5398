// SPDX-License-Identifier: GPL-2.0
/* The CCDF decoder against byte patterns written out by hand from the architected big-endian layout. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "ccdf.h"

/* the CCDF of the bed's first PEC 0x0004 error: fh 0x80020000, fid 1, faddr 0x104001002 */
static const uint8_t tprote[ZT_CCDF_LEN] = {
	0x00, 0x00, 0x00, 0x00, 0x80, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x10, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04,
};

static void assert_ccdf_equal(const struct zt_ccdf *a, const struct zt_ccdf *b)
{
	assert_int_equal(a->fh, b->fh);
	assert_int_equal(a->fid, b->fid);
	assert_int_equal(a->ett, b->ett);
	assert_int_equal(a->mvn, b->mvn);
	assert_int_equal(a->dmaas, b->dmaas);
	assert_int_equal(a->q, b->q);
	assert_int_equal(a->rw, b->rw);
	assert_int_equal(a->faddr, b->faddr);
	assert_int_equal(a->pec, b->pec);
}

static void test_decode_bed_error(void **state)
{
	struct zt_ccdf c;
	(void)state;
	zt_ccdf_decode(tprote, &c);
	assert_int_equal(c.fh, 0x80020000);
	assert_int_equal(c.fid, 1);
	assert_int_equal(c.pec, 0x0004);
	assert_int_equal(c.faddr, 0x104001002ull);
	assert_int_equal(c.ett, 0);
	assert_int_equal(c.mvn, 0);
	assert_int_equal(c.q, 0);
	assert_int_equal(c.rw, 0);
}

/* ett:4 mvn:12 dmaas:8 reserved2:6 q:1 rw:1, allocated from the most significant bit */
static void test_decode_bitfields(void **state)
{
	uint8_t raw[ZT_CCDF_LEN] = { 0 };
	struct zt_ccdf c;
	(void)state;
	raw[12] = 0xa1; /* ett 0xa, mvn high nibble 0x1 */
	raw[13] = 0x23; /* mvn 0x123 */
	raw[14] = 0x45; /* dmaas */
	raw[15] = 0xfe; /* reserved2 all ones, q 1, rw 0 */
	zt_ccdf_decode(raw, &c);
	assert_int_equal(c.ett, 0xa);
	assert_int_equal(c.mvn, 0x123);
	assert_int_equal(c.dmaas, 0x45);
	assert_int_equal(c.q, 1);
	assert_int_equal(c.rw, 0);
	raw[15] = 0x01;
	zt_ccdf_decode(raw, &c);
	assert_int_equal(c.q, 0);
	assert_int_equal(c.rw, 1);
}

static void test_reserved_bytes_ignored(void **state)
{
	uint8_t raw[ZT_CCDF_LEN];
	struct zt_ccdf a, b;
	(void)state;
	memcpy(raw, tprote, sizeof(raw));
	zt_ccdf_decode(raw, &a);
	memset(raw, 0xff, 4);        /* reserved1 */
	memset(raw + 24, 0xff, 6);   /* reserved3, reserved4 */
	zt_ccdf_decode(raw, &b);
	assert_ccdf_equal(&a, &b);
}

static void test_encode_roundtrip(void **state)
{
	struct zt_ccdf in = { .fh = 0x80020001, .fid = 0x12345678, .ett = 3, .mvn = 0xfff, .dmaas = 0x7f,
			      .q = 1, .rw = 1, .faddr = 0xfedcba9876543210ull, .pec = 0x0308 };
	struct zt_ccdf out;
	uint8_t raw[ZT_CCDF_LEN];
	(void)state;
	zt_ccdf_encode(&in, raw);
	assert_int_equal(raw[30], 0x03);
	assert_int_equal(raw[31], 0x08);
	assert_int_equal(raw[16], 0xfe);
	zt_ccdf_decode(raw, &out);
	assert_ccdf_equal(&in, &out);
	zt_ccdf_decode(tprote, &out);
	zt_ccdf_encode(&out, raw);
	assert_memory_equal(raw, tprote, ZT_CCDF_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_bed_error),
		cmocka_unit_test(test_decode_bitfields),
		cmocka_unit_test(test_reserved_bytes_ignored),
		cmocka_unit_test(test_encode_roundtrip),
	};
	return cmocka_run_group_tests_name("ccdf", tests, NULL, NULL);
}
