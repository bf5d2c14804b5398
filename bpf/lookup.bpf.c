// SPDX-License-Identifier: GPL-2.0
/* zpcitrace's first question to the kernel: are the hooked functions there, in which module, and where is
 * zpci_list? The kernel's own symbol lookup (bpf_kallsyms_lookup_name, for syscall programs) answers in
 * microseconds, where reading /proc/kallsyms takes seconds under TCG and the kernel's BTF hundreds of ms. No
 * CO-RE here: libbpf loads this object without parsing the kernel's BTF. */
#include "vmlinux.h" /* types only: nothing here is relocated */
#include <bpf/bpf_helpers.h>
#include "lookup.h"

char LICENSE[] SEC("license") = "GPL";

struct zt_lookup lookup = {};

SEC("syscall")
int find_symbols(void *ctx)
{
	for (int i = 0; i < ZT_LOOKUP_MAX; i++) {
		if (!lookup.names[i][0])
			break;
		lookup.err[i] = bpf_kallsyms_lookup_name(lookup.names[i], ZT_LOOKUP_NAME, 0, &lookup.addr[i]);
	}
	return 0;
}
