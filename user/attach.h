/* SPDX-License-Identifier: GPL-2.0 */
/* Loading and attaching zpcitrace's BPF programs: one BPF object per place the hooked functions live
 * (vmlinux, or module vfio_pci_core), sharing the maps; hooks of a module that is not loaded yet attach
 * when it appears. */
#ifndef ZPCITRACE_ATTACH_H
#define ZPCITRACE_ATTACH_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "hooks.h"

struct zpcitrace_bpf;
struct bpf_link;
struct bpf_program;

struct zt_attach_opts {
	bool no_hook[ZT_NR_HOOKS]; /* --no-hook */
	const char *btf_path;      /* --btf: kernel BTF for a kernel without /sys/kernel/btf/vmlinux */
	bool kprobes;              /* --kprobes: no fentry/fexit even where the kernel has them */
	bool lazy_wakeup;          /* --prom: the BPF side wakes the loader only when the ring buffer fills */
	bool filter_fid_on;        /* --fid */
	__u32 filter_fid;
	bool verbose;
};

#define ZT_MAX_OBJS 2

struct zt_attach {
	struct zt_attach_opts opts;
	struct zpcitrace_bpf *objs[ZT_MAX_OBJS]; /* [0] owns the maps */
	char obj_module[ZT_MAX_OBJS][64];        /* "" = vmlinux */
	struct bpf_link *links[ZT_NR_HOOKS][2];  /* enter, exit */
	struct bpf_program *progs[ZT_NR_HOOKS][2];
	enum zt_mode mode[ZT_NR_HOOKS];
	char module[ZT_NR_HOOKS][64];            /* where each present hook lives; "" = vmlinux */
	bool derive_enqueue;                     /* no store hook: the outcome comes from the queue state */
};

/* Probe the kernel, load and attach what exists now. Prints one line per problem; returns -errno when
 * there is nothing to trace (no zPCI, no BTF, no privileges). */
int zt_attach_start(struct zt_attach *a, const struct zt_attach_opts *opts);
/* Attach pending module hooks whose module has appeared since. Returns how many hooks it attached. */
int zt_attach_pending(struct zt_attach *a);
bool zt_attach_has_pending(const struct zt_attach *a);
/* The object that owns the maps (ring buffer, counters). */
struct zpcitrace_bpf *zt_attach_maps(const struct zt_attach *a);
void zt_attach_stop(struct zt_attach *a);
/* "prog NAME: runs, ns/run" lines for every attached program (kernel.bpf_stats_enabled=1 counts them) */
void zt_attach_prog_stats(const struct zt_attach *a, FILE *out);
struct zt_hook_state;
/* the state of every hook, for the sinks (module: where it lives, or the module a pending one waits for) */
void zt_attach_hook_states(const struct zt_attach *a, struct zt_hook_state *out);

#endif
