/* SPDX-License-Identifier: GPL-2.0 */
/* Which kernel functions zpcitrace hooks, how (fentry/fexit or kprobe/kretprobe, decided per hook by
 * probing the running kernel), and hooks in a module that is not loaded yet (attached when it appears). */
#ifndef ZPCITRACE_HOOKS_H
#define ZPCITRACE_HOOKS_H

#include <stdbool.h>
#include <linux/types.h>
#include "zt_event.h"

enum zt_mode {
	ZT_MODE_ABSENT,  /* the kernel has no such function */
	ZT_MODE_OFF,     /* switched off with --no-hook */
	ZT_MODE_PENDING, /* in a module that is not loaded yet */
	ZT_MODE_FENTRY,
	ZT_MODE_KPROBE,
	ZT_MODE_FAILED,  /* present, but neither mode attached */
};

struct zt_hook_info {
	const char *func;       /* kernel function */
	const char *module;     /* module it lives in when not built in, or NULL */
	const char *prog;       /* program name stem: fentry_<prog>, fexit_<prog>, kprobe_<prog>, kretprobe_<prog> */
	bool has_exit;          /* an exit program exists */
	bool series;            /* part of the 7.3 error-queue series */
	const char *role;       /* what it shows */
};

extern const struct zt_hook_info zt_hooks[ZT_NR_HOOKS];

/* how a hook was attached, as the sinks show it */
struct zt_hook_state {
	const char *func, *role, *mode, *module;
};

const char *zt_mode_name(enum zt_mode mode);
/* index of the hook on FUNC, or -1 */
int zt_hook_by_func(const char *func);

#endif
