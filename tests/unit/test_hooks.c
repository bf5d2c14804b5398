// SPDX-License-Identifier: GPL-2.0
/* The hook table: one row per enum zt_hook, in order, with the names the BPF programs use. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "hooks.h"

static void test_table_complete(void **state)
{
	(void)state;
	for (int h = 0; h < ZT_NR_HOOKS; h++) {
		assert_non_null(zt_hooks[h].func);
		assert_non_null(zt_hooks[h].prog);
		assert_non_null(zt_hooks[h].role);
		assert_int_equal(zt_hook_by_func(zt_hooks[h].func), h);
	}
	assert_int_equal(zt_hook_by_func("zpci_store_pci_error"), ZT_HOOK_STORE);
	assert_int_equal(zt_hook_by_func("vfio_pci_zdev_feature_err"), ZT_HOOK_FEATURE);
	assert_int_equal(zt_hook_by_func("nonexistent"), -1);
}

/* hooks of the 7.3 series are exactly those a kernel without it lacks */
static void test_series_hooks(void **state)
{
	const char *series[] = { "zpci_store_pci_error", "vfio_pci_zdev_feature_err", "zpci_get_pending_error",
				 "zpci_start_mediated_recovery", "zpci_stop_mediated_recovery" };
	int n = 0;
	(void)state;
	for (int h = 0; h < ZT_NR_HOOKS; h++)
		n += zt_hooks[h].series;
	assert_int_equal(n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_true(zt_hooks[zt_hook_by_func(series[i])].series);
	assert_string_equal(zt_hooks[ZT_HOOK_NOTIFY].module, "vfio_pci_core");
	assert_null(zt_hooks[ZT_HOOK_GET].module);
}

static void test_mode_names(void **state)
{
	(void)state;
	assert_string_equal(zt_mode_name(ZT_MODE_FENTRY), "fentry");
	assert_string_equal(zt_mode_name(ZT_MODE_KPROBE), "kprobe");
	assert_string_equal(zt_mode_name(ZT_MODE_PENDING), "pending");
	assert_string_equal(zt_mode_name(ZT_MODE_ABSENT), "absent");
	assert_string_equal(zt_mode_name(ZT_MODE_OFF), "off");
	assert_string_equal(zt_mode_name(ZT_MODE_FAILED), "failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_complete),
		cmocka_unit_test(test_series_hooks),
		cmocka_unit_test(test_mode_names),
	};
	return cmocka_run_group_tests_name("hooks", tests, NULL, NULL);
}
