// SPDX-License-Identifier: GPL-2.0
/* Hook selection reads kallsyms: vmlinux text symbols, module ones with a [module] suffix, data ignored. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <unistd.h>
#include <cmocka.h>
#include "ksyms.h"

static char path[] = "/tmp/zt-ksyms-XXXXXX";

static int write_kallsyms(void **state)
{
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	(void)state;
	fputs("000003fffe438a98 t zpci_store_pci_error\n"
	      "000003fffe438b00 T zpci_event_error\n"
	      "000003fffe438c00 d zpci_get_pending_error\n" /* data, not a function */
	      "000003ff80012000 t vfio_pci_zdev_feature_err\t[vfio_pci_core]\n"
	      "000003fffe438d00 t zpci_event_io_failure.constprop.0\n"
	      "000003fffe500000 d zpci_list\n"
	      "0000000000000000 d hidden_list\n" /* kptr_restrict: the unprivileged see zeros */
	      "garbage line\n",
	      f);
	return fclose(f);
}

static int remove_kallsyms(void **state)
{
	(void)state;
	return unlink(path);
}

static void test_scan(void **state)
{
	struct zt_ksym_query q[] = {
		{ .name = "zpci_event_error" }, { .name = "vfio_pci_zdev_feature_err" },
		{ .name = "zpci_get_pending_error" }, { .name = "zpci_event_io_failure" },
		{ .name = "zpci_store_pci_error", .found = true },
	};
	(void)state;
	assert_int_equal(zt_ksyms_scan(path, q, 5), 0);
	assert_true(q[0].found);
	assert_true(q[1].found);  /* module symbol */
	assert_string_equal(q[1].module, "vfio_pci_core");
	assert_string_equal(q[0].module, "");
	assert_false(q[2].found); /* only a data symbol of that name */
	assert_false(q[3].found); /* only a .constprop clone: not the same function name */
	assert_true(q[4].found);
}

static void test_addr(void **state)
{
	unsigned long long a = 1;
	(void)state;
	assert_int_equal(zt_ksyms_addr(path, "zpci_list", &a), 0);
	assert_true(a == 0x3fffe500000ull);
	assert_int_equal(zt_ksyms_addr(path, "hidden_list", &a), -ENOENT);
	assert_true(a == 0);
	a = 1;
	assert_int_equal(zt_ksyms_addr(path, "no_such_list", &a), -ENOENT); /* not the last line's address */
	assert_true(a == 0);
	assert_int_equal(zt_ksyms_addr(path, "vfio_pci_zdev_feature_err", &a), -ENOENT); /* built-in symbols only */
	assert_int_equal(zt_ksyms_addr("/nonexistent/kallsyms", "zpci_list", &a), -ENOENT);
}

static void test_missing_file(void **state)
{
	struct zt_ksym_query q[] = { { .name = "zpci_event_error", .found = true } };
	(void)state;
	assert_int_equal(zt_ksyms_scan("/nonexistent/kallsyms", q, 1), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests_name("ksyms", tests, write_kallsyms, remove_kallsyms);
}
