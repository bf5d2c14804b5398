/* SPDX-License-Identifier: GPL-2.0 */
/* The names zpcitrace asks the kernel's symbol lookup for, and its answers (bpf/lookup.bpf.c, user/attach.c) */
#ifndef ZPCITRACE_LOOKUP_H
#define ZPCITRACE_LOOKUP_H

#define ZT_LOOKUP_MAX 20  /* names: the hooked functions, "module:function" for those a module may hold, zpci_list */
#define ZT_LOOKUP_NAME 64 /* each zero-padded: the helper wants the last byte 0 */

struct zt_lookup {
	char names[ZT_LOOKUP_MAX][ZT_LOOKUP_NAME]; /* set by the loader */
	__u64 addr[ZT_LOOKUP_MAX];                 /* the symbol's address, 0 when it has none */
	__s64 err[ZT_LOOKUP_MAX];                  /* 0, -ENOENT, or -EPERM where kptr_restrict hides addresses */
};

/* find_symbol's context: the name to look up */
struct zt_lookup_args {
	__u32 index;
};

#endif
