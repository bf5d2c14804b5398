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

/* one name per run (the loader runs it for each): a loop over the names would have the verifier check its body
 * once per name, 300 instructions against 20, each a fraction of a millisecond under TCG (and bpf_loop takes no
 * callback without a JIT) */
SEC("syscall")
int find_symbol(struct zt_lookup_args *args)
{
	__u32 i = args->index;

	if (i >= ZT_LOOKUP_MAX)
		return 1;
	lookup.err[i] = bpf_kallsyms_lookup_name(lookup.names[i], ZT_LOOKUP_NAME, 0, &lookup.addr[i]);
	return 0;
}
