// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "pec.h"

static void test_known_pecs(void **state)
{
	(void)state;
	assert_string_equal(zt_pec_name(0x0004), "tprote");
	assert_string_equal(zt_pec_name(0x0002), "oorange");
	assert_string_equal(zt_pec_name(0x003b), "permerr");
	assert_string_equal(zt_pec_name(0x0301), "to_configured");
	assert_non_null(zt_pec_description(0x0040));
}

static void test_unknown_pec(void **state)
{
	(void)state;
	assert_null(zt_pec_name(0x0000));
	assert_null(zt_pec_name(0x0305));
	assert_null(zt_pec_name(0xffff));
	assert_null(zt_pec_description(0x1234));
}

/* every code the kernel treats specially, and every one the bed provokes, is named */
static void test_table_is_complete_for_kernel_cases(void **state)
{
	const uint16_t needed[] = { 0x0002, 0x0004, 0x002a, 0x002b, 0x002c, 0x003b, 0x0040,
				    0x0301, 0x0302, 0x0303, 0x0304, 0x0306, 0x0308 };
	(void)state;
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		assert_non_null(zt_pec_name(needed[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_pecs),
		cmocka_unit_test(test_unknown_pec),
		cmocka_unit_test(test_table_is_complete_for_kernel_cases),
	};
	return cmocka_run_group_tests_name("pec", tests, NULL, NULL);
}
