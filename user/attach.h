/* SPDX-License-Identifier: GPL-2.0 */
/* Loading and attaching zpcitrace's BPF programs: one BPF object for the hooks present at the start (vmlinux's
 * and vfio_pci_core's), one more, sharing the maps, for the hooks of a module that loads later. */
#ifndef ZPCITRACE_ATTACH_H
#define ZPCITRACE_ATTACH_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "facts.h"
#include "hooks.h"


struct zt_attach_opts {
	bool no_hook[ZT_NR_HOOKS]; /* --no-hook */
	const char *btf_path;      /* --btf: kernel BTF for a kernel without /sys/kernel/btf/vmlinux */
	bool kprobes;              /* --kprobes: no fentry/fexit even where the kernel has them */
	bool filter_fid_on;        /* --fid */
	__u32 filter_fid;
	bool verbose;
	bool queues_only;          /* status: load read_queues alone, attach no hook */
};

struct zt_attach;

/* Where a start's (or a module attach's) time went, for -v and make bench: wall time per part, and counts */
struct zt_attach_costs {
	unsigned long long lookup_ns, load_ns, attach_ns; /* lookup: which hooked functions exist, where */
	unsigned int kallsyms_reads, objects, programs, links;
};

/* What the start is doing now, for a watchdog that says so when it takes long (a string that stays valid). */
extern const char *volatile zt_attach_stage;

/* The attacher's life, as retsnoop's mass_attacher: new, prepare (probe the kernel: which hooks exist and where,
 * zPCI, BTF, the queue, fentry or kprobe per hook), load (one BPF object for the hooks present at the start; one
 * per module that loads later), attach, free.
 * Each step prints one line per problem and returns -errno when there is nothing to trace (no zPCI, no BTF, no
 * privileges). NULL from new: no memory. */
struct zt_attach *zt_attach_new(const struct zt_attach_opts *opts);
/* Why a start failed, where it cannot succeed however often it is tried (a unit must not restart for it): the
 * exit status, sysexits' (zpcitrace(8), EXIT STATUS); 0 for a failure that may pass (1) */
#define ZT_EXIT_UNAVAILABLE 69 /* EX_UNAVAILABLE: no zPCI, no BTF, no error queue for status */
#define ZT_EXIT_NOPERM 77      /* EX_NOPERM: not allowed to load BPF programs */
#define ZT_EXIT_CONFIG 78      /* EX_CONFIG: the --btf file cannot be read */
int zt_attach_exit_status(const struct zt_attach *a);
int zt_attach_prepare(struct zt_attach *a);
int zt_attach_load(struct zt_attach *a);
int zt_attach_attach(struct zt_attach *a);
void zt_attach_free(struct zt_attach *a);
/* enqueue outcomes are derived from the queue state (no store hook) */
bool zt_attach_derived(const struct zt_attach *a);
/* the uAPI form the feature hook was loaded for (unknown until its module loads) */
enum zt_uapi zt_attach_uapi(const struct zt_attach *a);
/* the ring buffer's map fd */
int zt_attach_events_fd(const struct zt_attach *a);
/* what the BPF programs could not see, as they counted it (bpf/zt_losses.h) */
void zt_attach_losses(const struct zt_attach *a, struct zt_losses *l);
/* Attach pending module hooks whose module has appeared since (a poll, where uevents cannot be had). Returns how
 * many hooks it attached. */
int zt_attach_pending(struct zt_attach *a);
bool zt_attach_has_pending(const struct zt_attach *a);
/* The fd that becomes readable when a module loads or goes (-1: none; poll with zt_attach_pending instead) */
int zt_attach_module_fd(const struct zt_attach *a);
/* Handle the module loads and unloads announced on that fd: hooks of a module that went are detached (one line
 * says which) and pending again; those of a module that came attach. Returns how many hooks changed. */
int zt_attach_module_events(struct zt_attach *a);
/* Read every zPCI function's queue into the ring buffer (ZT_EV_QUEUE, then ZT_EV_QUEUED per queued error).
 * Returns the number of functions read, or -errno (-ENOENT: this kernel's queues cannot be read). */
int zt_attach_read_queues(struct zt_attach *a);
/* what the start took so far, by part (module attaches start their own count) */
const struct zt_attach_costs *zt_attach_costs(const struct zt_attach *a);
/* one line: "TOTAL ms: finding the functions A ms (N reads of /proc/kallsyms), objects ..., attach ..." */
void zt_attach_costs_print(const struct zt_attach_costs *c, double total_ms, FILE *out);
/* "prog NAME: runs, ns/run" lines for every attached program (kernel.bpf_stats_enabled=1 counts them) */
void zt_attach_prog_stats(const struct zt_attach *a, FILE *out);
struct zt_hook_state;
/* the state of every hook, for the sinks (module: where it lives, or the module a pending one waits for) */
void zt_attach_hook_states(const struct zt_attach *a, struct zt_hook_state *out);

#endif
