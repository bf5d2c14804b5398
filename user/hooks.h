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

/* The form of VFIO_DEVICE_FEATURE_ZPCI_ERROR the kernel has, as its BTF describes the feature's struct: the merged
 * one (Linux 7.3), or that of the series' v12 5/7, the design zpcitrace started from. */
enum zt_uapi {
	ZT_UAPI_UNKNOWN, /* the feature hook is not loaded (yet: its module may load later), or no BTF of its struct */
	ZT_UAPI_MERGED,  /* feature 13, {__aligned_u64 data} -> the CCDF; zpci_get_pending_error dequeues; -ENOMSG */
	ZT_UAPI_V12,     /* feature 12, {version, pending_errors, pec} answered in place; dequeued inline; rc 0 if empty */
};
/* "merged", "v12", "unknown"; and what the form is, in a few words */
const char *zt_uapi_name(enum zt_uapi u);
enum zt_uapi zt_uapi_by_name(const char *name);
const char *zt_uapi_what(enum zt_uapi u);
/* index of the hook on FUNC, or -1 */
int zt_hook_by_func(const char *func);

#endif
