// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "ksyms.h"

/* lines look like "0000003fffe438a98 t zpci_store_pci_error" or "... T name\t[vfio_pci_core]" */
int zt_ksyms_scan(const char *path, struct zt_ksym_query *q, int n)
{
	char line[512], type, name[256], module[66];
	unsigned long long addr;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	for (int i = 0; i < n; i++) {
		q[i].found = false;
		q[i].module[0] = 0;
	}
	while (fgets(line, sizeof(line), f)) {
		module[0] = 0;
		if (sscanf(line, "%llx %c %255s %65s", &addr, &type, name, module) < 3)
			continue;
		if (type != 't' && type != 'T')
			continue;
		for (int i = 0; i < n; i++) {
			size_t len = strlen(module);

			if (q[i].found || strcmp(name, q[i].name))
				continue;
			q[i].found = true;
			if (len > 2 && module[0] == '[' && module[len - 1] == ']')
				snprintf(q[i].module, sizeof(q[i].module), "%.*s", (int)(len - 2), module + 1);
		}
	}
	fclose(f);
	return 0;
}

int zt_ksyms_addr(const char *path, const char *name, unsigned long long *addr)
{
	char line[512], type, sym[256], module[66];
	unsigned long long a;
	FILE *f = fopen(path, "re");
	int err = -ENOENT;

	*addr = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		module[0] = 0;
		if (sscanf(line, "%llx %c %255s %65s", &a, &type, sym, module) < 3 || module[0] || strcmp(sym, name))
			continue;
		if (a) {
			*addr = a;
			err = 0;
		}
		break;
	}
	fclose(f);
	return err;
}
