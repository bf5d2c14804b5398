// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "hooks.h"
#include "ksyms.h"
#include "lookup.h"
#include "lookup.skel.h"
#include "startwatch.h"
#include "zpcitrace.skel.h"

#define KALLSYMS "/proc/kallsyms"

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
	bool kfuncs;                             /* a JIT: kprobes load as their _jit twins (bpf_core_cast reads) */
	unsigned long long zpci_list;            /* &zpci_list, for read_queues; 0: the queues cannot be read */
	int exit_status;                         /* a permanent failure's (zt_attach_exit_status) */
	int uevent_fd;                           /* module loads and unloads (kernel uevents), or -1 */
	bool queue;                              /* the kernel has the error queue */
	bool looked_up;                          /* the kernel's symbol lookup answered (else /proc/kallsyms) */
	bool group[ZT_MAX_OBJS][ZT_NR_HOOKS];    /* the hooks each object holds */
	bool attached[ZT_MAX_OBJS];
	enum zt_uapi uapi;                       /* as the feature hook's BTF says, when it last loaded */
	struct zt_attach_costs costs;            /* since the start, or since the last module came */
};

int zt_attach_exit_status(const struct zt_attach *a)
{
	return a ? a->exit_status : 0;
}

/* a failure no retry mends: its exit status kept, err returned */
static int permanent(struct zt_attach *a, int status, int err)
{
	a->exit_status = status;
	return err;
}


#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"
#define BPF_JIT_SYSCTL "/proc/sys/net/core/bpf_jit_enable"
/* read_queues walks one function per run: a bound on runs for a list that changes under it */
#define MAX_QUEUE_RUNS 65536

const char *volatile zt_attach_stage = "starting";

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static char stage_text[ZT_MAX_OBJS][192];

/* -v says each stage as it begins: a slow start shows where its time goes */
static void set_stage(const struct zt_attach *a, const char *text)
{
	zt_attach_stage = text;
	zt_startwatch_stage(text);
	if (a->opts.verbose)
		fprintf(stderr, "zpcitrace: %s\n", text);
}

static void stage(const struct zt_attach *a, int slot, const char *what, const char *module)
{
	snprintf(stage_text[slot], sizeof(stage_text[slot]), "%s %s", what, *module ? module : "vmlinux");
	set_stage(a, stage_text[slot]);
}

static bool module_loaded(const char *mod)
{
	char path[128], state[16] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", mod);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(state, sizeof(state), f))
		state[0] = 0;
	fclose(f);
	return !strncmp(state, "live", 4);
}

/* The uAPI the feature hook speaks: which_uapi, relocated as the feature hook is (vmlinux's BTF, or its module's),
 * says which description of vfio_device_feature_zpci_err the BPF side's ___v12 flavour matched. Its answer is in
 * the shared .bss, which only the first object's skeleton maps. */
static enum zt_uapi uapi_of(const struct zt_attach *a, struct zpcitrace_bpf *s)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);
	__u32 form;

	if (bpf_prog_test_run_opts(bpf_program__fd(s->progs.which_uapi), &o))
		return ZT_UAPI_UNKNOWN;
	form = a->objs[0]->bss->uapi_form;
	return form == 1 ? ZT_UAPI_MERGED : form == 2 ? ZT_UAPI_V12 : ZT_UAPI_UNKNOWN;
}

static struct bpf_program *prog(struct zpcitrace_bpf *s, const char *kind, const char *stem, const char *suffix)
{
	char name[64];

	snprintf(name, sizeof(name), "%s_%s%s", kind, stem, suffix);
	return bpf_object__find_program_by_name(s->obj, name);
}

/* the programs a hook uses in a mode: [0] enter, [1] exit (or NULL). Kprobes on a kernel with a JIT are the _jit
 * twins: they read kernel memory as fentry does, by loads, not a helper call per field (bpf/zpcitrace.bpf.c KREAD) */
static void hook_progs(const struct zt_attach *a, struct zpcitrace_bpf *s, int h, enum zt_mode mode,
		       struct bpf_program *p[2])
{
	const struct zt_hook_info *hi = &zt_hooks[h];
	bool exit = hi->has_exit && (h != ZT_HOOK_EVENT_ERROR || a->derive_enqueue);
	const char *suffix = mode != ZT_MODE_FENTRY && a->kfuncs ? "_jit" : "";

	p[0] = prog(s, mode == ZT_MODE_FENTRY ? "fentry" : "kprobe", hi->prog, suffix);
	p[1] = exit ? prog(s, mode == ZT_MODE_FENTRY ? "fexit" : "kretprobe", hi->prog, suffix) : NULL;
}

static int reuse(struct bpf_map *map, const struct bpf_map *owner)
{
	return bpf_map__reuse_fd(map, bpf_map__fd(owner));
}

static void detach_hook(struct zt_attach *a, int h)
{
	for (int i = 0; i < 2; i++) {
		bpf_link__destroy(a->links[h][i]);
		a->links[h][i] = NULL;
		a->progs[h][i] = NULL;
	}
}

/* where the hooks in todo live, for a stage's text: module ("" = vmlinux), and the modules of the others */
static const char *places(const struct zt_attach *a, const char *module, const bool todo[ZT_NR_HOOKS])
{
	static char text[96];
	size_t len = (size_t)snprintf(text, sizeof(text), "%s", module);

	for (int h = 0; h < ZT_NR_HOOKS && len < sizeof(text); h++)
		if (todo[h] && *a->module[h] && strcmp(a->module[h], module) && !strstr(text, a->module[h]))
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s", *text ? " and " : "vmlinux and ",
						 a->module[h]);
	return text;
}

/* open and load the object of one group (slot, module ""= vmlinux, the hooks in todo): fentry where the mode says
 * so. The first object owns the maps; the others share them. 0 or -errno */
static int group_load(struct zt_attach *a, int slot, const char *module, const bool todo[ZT_NR_HOOKS])
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = a->opts.btf_path);
	unsigned long long t = now_ns();
	struct zpcitrace_bpf *s = zpcitrace_bpf__open_opts(&oo);
	struct bpf_program *p;
	int err = 0;

	if (!s)
		return -errno;
	s->rodata->filter_fid_on = a->opts.filter_fid_on;
	s->rodata->filter_fid = a->opts.filter_fid;
	s->rodata->derive_enqueue = a->derive_enqueue;
	s->rodata->zpci_list_addr = slot == 0 ? a->zpci_list : 0;
	if (slot > 0) {
		struct zpcitrace_bpf *o = a->objs[0];

		err = reuse(s->maps.events, o->maps.events) ?: reuse(s->maps.calls, o->maps.calls) ?:
		      reuse(s->maps.zdev_by_fid, o->maps.zdev_by_fid) ?: reuse(s->maps.bss, o->maps.bss);
	}
	bpf_object__for_each_program(p, s->obj)
		bpf_program__set_autoload(p, false);
	bpf_program__set_autoload(s->progs.read_queues, slot == 0 && a->zpci_list);
	bpf_program__set_autoload(s->progs.which_uapi, todo[ZT_HOOK_FEATURE]);
	for (int h = 0; h < ZT_NR_HOOKS; h++) {
		struct bpf_program *hp[2];

		if (!todo[h])
			continue;
		hook_progs(a, s, h, a->mode[h], hp);
		for (int i = 0; i < 2; i++)
			if (hp[i])
				bpf_program__set_autoload(hp[i], true);
	}
	stage(a, slot, "loading and verifying the BPF programs for", places(a, module, todo));
	err = err ?: zpcitrace_bpf__load(s);
	a->costs.load_ns += now_ns() - t;
	a->costs.objects++;
	bpf_object__for_each_program(p, s->obj)
		a->costs.programs += bpf_program__autoload(p);
	if (err) {
		zpcitrace_bpf__destroy(s);
		return err;
	}
	a->objs[slot] = s;
	if (todo[ZT_HOOK_FEATURE]) {
		a->uapi = uapi_of(a, s);
		if (a->opts.verbose)
			fprintf(stderr, "zpcitrace: uapi %s: %s\n", zt_uapi_name(a->uapi), zt_uapi_what(a->uapi));
	}
	snprintf(a->obj_module[slot], sizeof(a->obj_module[slot]), "%s", module);
	memcpy(a->group[slot], todo, sizeof(a->group[slot]));
	a->attached[slot] = false;
	return 0;
}

/* attach the loaded object in slot; on failure its hooks are detached again. 0 or -errno */
static int group_attach(struct zt_attach *a, int slot)
{
	struct zpcitrace_bpf *s = a->objs[slot];
	unsigned long long t = now_ns();
	int err = 0;

	stage(a, slot, "attaching the hooks in", a->obj_module[slot]);
	for (int h = 0; !err && h < ZT_NR_HOOKS; h++) {
		struct bpf_program *hp[2];

		if (!a->group[slot][h])
			continue;
		hook_progs(a, s, h, a->mode[h], hp);
		for (int i = 0; !err && i < 2; i++) {
			if (!hp[i])
				continue;
			a->progs[h][i] = hp[i];
			a->links[h][i] = bpf_program__attach(hp[i]);
			a->costs.links += a->links[h][i] != NULL;
			if (!a->links[h][i]) {
				err = -errno;
				fprintf(stderr, "zpcitrace: cannot attach %s to %s: %s (-v tells more)\n",
					bpf_program__name(hp[i]), zt_hooks[h].func, strerror(-err));
			}
		}
	}
	for (int h = 0; err && h < ZT_NR_HOOKS; h++)
		if (a->group[slot][h])
			detach_hook(a, h);
	a->attached[slot] = !err;
	a->costs.attach_ns += now_ns() - t;
	return err;
}

static void group_free(struct zt_attach *a, int slot)
{
	zpcitrace_bpf__destroy(a->objs[slot]);
	a->objs[slot] = NULL;
	a->obj_module[slot][0] = 0;
	a->attached[slot] = false;
}

/* the fentry hooks of a group go kprobe, and kprobes the plain ones (no kfunc): true when anything changed */
static bool group_to_kprobes(struct zt_attach *a, const bool todo[ZT_NR_HOOKS], int err)
{
	bool any = a->kfuncs;

	a->kfuncs = false;
	for (int h = 0; h < ZT_NR_HOOKS; h++)
		if (todo[h] && a->mode[h] == ZT_MODE_FENTRY)
			a->mode[h] = ZT_MODE_KPROBE, any = true;
	if (any && a->opts.verbose)
		fprintf(stderr, "zpcitrace: fentry or the JIT-only kprobes failed (%s); retrying with plain kprobes\n",
			strerror(-err));
	return any;
}

/* load the group in a free slot, fentry first and kprobes if that fails. The slot, or -errno */
static int group_load_any(struct zt_attach *a, const char *module, const bool todo[ZT_NR_HOOKS])
{
	int slot = 0, err;

	while (slot < ZT_MAX_OBJS && a->objs[slot])
		slot++;
	if (slot == ZT_MAX_OBJS)
		return -E2BIG;
	err = group_load(a, slot, module, todo);
	if (err && group_to_kprobes(a, todo, err))
		err = group_load(a, slot, module, todo);
	if (err)
		for (int h = 0; h < ZT_NR_HOOKS; h++)
			if (todo[h])
				a->mode[h] = ZT_MODE_FAILED;
	return err ?: slot;
}

/* Ask the kernel's own symbol lookup (bpf/lookup.bpf.c) for the hooked functions in which[], each also as
 * "module:function" where a module may hold it (so that its place is known), and for zpci_list: q[h] (found, and
 * the module or "" where it lives), a->zpci_list. Microseconds, where /proc/kallsyms takes seconds under TCG (more while modules
 * load). false when the kernel cannot be asked (no such helper, or kptr_restrict hides addresses from us). */
static bool kernel_lookup(struct zt_attach *a, const bool which[ZT_NR_HOOKS], struct zt_ksym_query q[ZT_NR_HOOKS])
{
	int at[ZT_NR_HOOKS], in_module[ZT_NR_HOOKS], list = -1, n = 0, hidden = 0;
	LIBBPF_OPTS(bpf_test_run_opts, o);
	struct lookup_bpf *s = lookup_bpf__open_and_load();
	struct zt_lookup *l = s ? &s->bss->lookup : NULL;
	bool ok = false;

	if (!s)
		return false;
	for (int h = 0; h < ZT_NR_HOOKS; h++) {
		at[h] = in_module[h] = -1;
		if (!which[h])
			continue;
		snprintf(l->names[at[h] = n++], ZT_LOOKUP_NAME, "%s", zt_hooks[h].func);
		if (zt_hooks[h].module)
			snprintf(l->names[in_module[h] = n++], ZT_LOOKUP_NAME, "%s:%s", zt_hooks[h].module,
				 zt_hooks[h].func);
	}
	if (!a->zpci_list)
		snprintf(l->names[list = n++], ZT_LOOKUP_NAME, "zpci_list");
	_Static_assert(2 * ZT_NR_HOOKS + 1 <= ZT_LOOKUP_MAX, "every name fits");
	for (int i = 0; i < n; i++) {
		struct zt_lookup_args args = { .index = i };

		o.ctx_in = &args;
		o.ctx_size_in = sizeof(args);
		if (bpf_prog_test_run_opts(bpf_program__fd(s->progs.find_symbol), &o))
			goto out;
	}
	for (int i = 0; i < n; i++)
		hidden += l->err[i] == -EPERM;
	if (hidden)
		goto out;
	for (int h = 0; h < ZT_NR_HOOKS; h++) {
		if (at[h] < 0)
			continue;
		q[h].found = l->addr[at[h]] != 0;
		q[h].module[0] = 0;
		if (q[h].found && in_module[h] >= 0 && l->addr[in_module[h]])
			snprintf(q[h].module, sizeof(q[h].module), "%s", zt_hooks[h].module);
	}
	if (list >= 0)
		a->zpci_list = l->addr[list];
	ok = true;
out:
	lookup_bpf__destroy(s);
	return ok;
}

/* which hooks are present and where; module hooks of a module not loaded yet are pending. From the kernel's
 * symbol lookup; from /proc/kallsyms where it cannot be asked */
static int locate(struct zt_attach *a, const bool which[ZT_NR_HOOKS])
{
	struct zt_ksym_query q[ZT_NR_HOOKS];
	unsigned long long t = now_ns();
	int err;

	for (int h = 0; h < ZT_NR_HOOKS; h++)
		q[h] = (struct zt_ksym_query){ .name = zt_hooks[h].func };
	a->looked_up = kernel_lookup(a, which, q);
	if (!a->looked_up) {
		set_stage(a, "reading " KALLSYMS);
		err = zt_ksyms_scan(KALLSYMS, q, ZT_NR_HOOKS);
		a->costs.kallsyms_reads++;
		if (err) {
			fprintf(stderr, "zpcitrace: cannot read %s: %s\n", KALLSYMS, strerror(-err));
			return err;
		}
	}
	a->costs.lookup_ns += now_ns() - t;
	for (int h = 0; h < ZT_NR_HOOKS; h++) {
		if (!which[h])
			continue;
		snprintf(a->module[h], sizeof(a->module[h]), "%s", q[h].module);
		if (a->opts.no_hook[h])
			a->mode[h] = ZT_MODE_OFF;
		else if (q[h].found)
			a->mode[h] = ZT_MODE_KPROBE; /* decided for real at load */
		else if (zt_hooks[h].module && !module_loaded(zt_hooks[h].module))
			a->mode[h] = ZT_MODE_PENDING;
		else
			a->mode[h] = ZT_MODE_ABSENT;
	}
	return 0;
}

/* one line for a group that did not load or attach: fatal for vmlinux's, which owns the maps */
static int group_failed(struct zt_attach *a, const char *module, int err)
{
	if (err == -EPERM || err == -EACCES) {
		fprintf(stderr, "zpcitrace: not allowed to load BPF programs (%s): run as root\n", strerror(-err));
		return permanent(a, ZT_EXIT_NOPERM, err);
	}
	if (!*module) {
		fprintf(stderr, "zpcitrace: cannot load the BPF programs: %s (-v tells more)\n", strerror(-err));
		return err;
	}
	/* degrade: the vmlinux hooks trace on */
	fprintf(stderr, "zpcitrace: cannot load the hooks in %s (%s%s; -v tells more): tracing without them\n", module,
		strerror(-err), a->opts.btf_path ? "; does the --btf file describe its types?" : "");
	return 0;
}

/* At the start, one object for every located hook, the module ones too: libbpf parses the kernel's BTF once per
 * object. True when it loaded; when it did not (a --btf file without the module's types, say), the modes are as
 * before and the hooks load by place, so that those of vmlinux trace on without the others */
static bool load_hooks_at_once(struct zt_attach *a, const bool which[ZT_NR_HOOKS])
{
	bool todo[ZT_NR_HOOKS], modules = false, builtin = false;
	enum zt_mode mode[ZT_NR_HOOKS];

	if (a->objs[0])
		return false;
	for (int h = 0; h < ZT_NR_HOOKS; h++) {
		todo[h] = which[h] && (a->mode[h] == ZT_MODE_KPROBE || a->mode[h] == ZT_MODE_FENTRY);
		modules |= todo[h] && *a->module[h];
		builtin |= todo[h] && !*a->module[h];
	}
	if (!modules || !builtin)
		return false;
	memcpy(mode, a->mode, sizeof(mode));
	if (group_load_any(a, "", todo) == 0)
		return true;
	memcpy(a->mode, mode, sizeof(mode));
	if (a->opts.verbose)
		fprintf(stderr, "zpcitrace: loading all hooks at once failed; loading them by where they live\n");
	return false;
}

/* load one object per place the located hooks in which[] live (or one for all, at the start): vmlinux first, its
 * object owns the maps */
static int load_hooks(struct zt_attach *a, const bool which[ZT_NR_HOOKS])
{
	if (load_hooks_at_once(a, which))
		return 0;
	for (int round = 0; round < 2; round++) {
		bool todo[ZT_NR_HOOKS] = { false };
		const char *module = NULL;
		int slot;

		for (int h = 0; h < ZT_NR_HOOKS; h++) {
			bool here = which[h] && (a->mode[h] == ZT_MODE_KPROBE || a->mode[h] == ZT_MODE_FENTRY) &&
				    (round == 0) == !*a->module[h];

			if (!here || (module && strcmp(module, a->module[h])))
				continue;
			module = a->module[h];
			todo[h] = true;
		}
		if (!module)
			continue;
		slot = group_load_any(a, module, todo);
		if (slot < 0 && group_failed(a, module, slot))
			return slot;
	}
	return 0;
}

/* attach every loaded object. An object whose fentry programs loaded but do not attach loads again with kprobes,
 * and so do the objects after it, which share its maps */
static int attach_hooks(struct zt_attach *a)
{
	for (int slot = 0; slot < ZT_MAX_OBJS; slot++) {
		bool todo[ZT_MAX_OBJS][ZT_NR_HOOKS];
		char module[ZT_MAX_OBJS][64];
		int err;

		if (!a->objs[slot] || a->attached[slot] || !(err = group_attach(a, slot)))
			continue;
		memcpy(todo, a->group, sizeof(todo));
		memcpy(module, a->obj_module, sizeof(module));
		for (int i = ZT_MAX_OBJS - 1; i >= slot; i--)
			if (a->objs[i] && !a->attached[i])
				group_free(a, i);
		if (group_to_kprobes(a, todo[slot], err) && !(err = group_load(a, slot, module[slot], todo[slot])) &&
		    !(err = group_attach(a, slot))) {
			for (int i = slot + 1; i < ZT_MAX_OBJS; i++) { /* those after it, on the new maps */
				int r = *module[i] ? group_load_any(a, module[i], todo[i]) : 0;

				if (r < 0 && group_failed(a, module[i], r))
					return r;
			}
			continue;
		}
		for (int h = 0; h < ZT_NR_HOOKS; h++)
			if (todo[slot][h])
				a->mode[h] = ZT_MODE_FAILED;
		if (a->objs[slot])
			group_free(a, slot);
		if (group_failed(a, module[slot], err))
			return err;
	}
	return 0;
}

/* Module loads and unloads as the kernel announces them (to udev): "add@/module/NAME" once the module's init has
 * run, "remove@/module/NAME" as it goes. Anyone may listen; only the kernel (port 0) is believed. */
static int uevent_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void no_zpci_list(const struct zt_attach_opts *opts)
{
	fprintf(stderr, "zpcitrace: cannot read the queues%s: no address of zpci_list in %s (CONFIG_KALLSYMS_ALL, "
			"kptr_restrict)%s\n", opts->queues_only ? "" : " at start", KALLSYMS,
		opts->queues_only ? "" : "; errors queued before now show as dequeues with no traced enqueue");
}

struct zt_attach *zt_attach_new(const struct zt_attach_opts *opts)
{
	struct zt_attach *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->opts = *opts;
	a->uevent_fd = -1;
	return a;
}

/* A BPF JIT, on and able to make trampolines: bpf_jit_enable is 1 or 2. A kernel built without one has no such
 * file, and fentry needs the trampolines (Debian's s390x kernels: their fentry programs load, then never attach). */
static bool jit_enabled(void)
{
	char v = '0';
	FILE *f = fopen(BPF_JIT_SYSCTL, "re");

	if (f) {
		if (fread(&v, 1, 1, f) != 1)
			v = '0';
		fclose(f);
	}
	return v == '1' || v == '2';
}

/* vmlinux hooks attach as fentry where the kernel has a JIT; module hooks never do (a trampoline would hold a
 * reference on the module, which then could not be unloaded while traced; plain kprobes do not). Nothing is
 * probed: probing costs a trampoline made and torn down per try (synchronize_rcu_tasks). An object whose fentry
 * programs do not load or attach after all loads again with kprobes (group_load_any, attach_hooks). */
static void decide_modes(struct zt_attach *a)
{
	/* a --btf file's type ids are not the kernel's, which a cast names */
	a->kfuncs = !a->opts.btf_path && jit_enabled();
	if (!a->kfuncs || a->opts.kprobes || a->opts.queues_only)
		return;
	for (int h = 0; h < ZT_NR_HOOKS; h++)
		if (a->mode[h] == ZT_MODE_KPROBE && !*a->module[h])
			a->mode[h] = ZT_MODE_FENTRY;
}

/* the kernel can be traced at all: zPCI and BTF. 0, or -ENOENT after saying why */
static int check_kernel(struct zt_attach *a)
{
	if (a->mode[ZT_HOOK_EVENT_ERROR] != ZT_MODE_KPROBE) {
		fprintf(stderr, "zpcitrace: this kernel has no zPCI error path (no function %s); zPCI exists only on s390x\n",
			zt_hooks[ZT_HOOK_EVENT_ERROR].func);
		return permanent(a, ZT_EXIT_UNAVAILABLE, -ENOENT);
	}
	if (a->opts.btf_path ? access(a->opts.btf_path, R_OK) : access(VMLINUX_BTF, R_OK)) {
		if (a->opts.btf_path) {
			fprintf(stderr, "zpcitrace: cannot read the BTF file %s: %s\n", a->opts.btf_path, strerror(errno));
			return permanent(a, ZT_EXIT_CONFIG, -ENOENT);
		}
		fprintf(stderr, "zpcitrace: this kernel has no BTF (%s missing): pass --btf PATH\n", VMLINUX_BTF);
		return permanent(a, ZT_EXIT_UNAVAILABLE, -ENOENT);
	}
	return 0;
}

/* Loading needs CAP_BPF and attaching CAP_PERFMON (CAP_SYS_ADMIN covers both): without them nothing can work,
 * so say so before the slow parts (kallsyms, BTF), not after them. An unreadable CapEff proves nothing. */
static bool may_trace(void)
{
	unsigned long long eff;
	char line[256];
	bool known = false;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return true;
	while (!known && fgets(line, sizeof(line), f))
		known = sscanf(line, "CapEff: %llx", &eff) == 1;
	fclose(f);
	return !known || (eff >> CAP_SYS_ADMIN & 1) || ((eff >> CAP_BPF & 1) && (eff >> CAP_PERFMON & 1));
}

int zt_attach_prepare(struct zt_attach *a)
{
	bool all[ZT_NR_HOOKS];
	int err;

	if (!may_trace()) {
		fprintf(stderr, "zpcitrace: not allowed to load BPF programs (no CAP_BPF and CAP_PERFMON, nor "
				"CAP_SYS_ADMIN): run as root\n");
		return permanent(a, ZT_EXIT_NOPERM, -EPERM);
	}
	set_stage(a, "finding the hooked functions");
	for (int h = 0; h < ZT_NR_HOOKS; h++)
		all[h] = true;
	/* listen before looking: a module that loads in between is announced, not missed */
	if (!a->opts.queues_only)
		a->uevent_fd = uevent_open();
	err = locate(a, all) ?: check_kernel(a);
	if (err)
		return err;
	/* the queue exists when any function of its series does (module ones may still be pending) */
	for (int h = 0; h < ZT_NR_HOOKS; h++)
		a->queue |= zt_hooks[h].series && a->mode[h] != ZT_MODE_ABSENT && a->mode[h] != ZT_MODE_PENDING;
	if (!a->queue)
		fprintf(stderr, "zpcitrace: this kernel has no zPCI error queue (no %s, %s; Linux 7.3 added them): %s\n",
			zt_hooks[ZT_HOOK_GET].func, zt_hooks[ZT_HOOK_STORE].func,
			a->opts.queues_only ? "there are no queues to show"
					    : "tracing arrivals, notifications, availability and resets only");
	else if (!a->zpci_list && !a->looked_up) /* 0: said once loading proved the privileges */
		zt_ksyms_addr(KALLSYMS, "zpci_list", &a->zpci_list), a->costs.kallsyms_reads++;
	if (a->opts.queues_only) {
		for (int h = 0; h < ZT_NR_HOOKS; h++)
			a->mode[h] = ZT_MODE_OFF;
		return a->queue ? 0 : permanent(a, ZT_EXIT_UNAVAILABLE, -ENOENT);
	}
	a->derive_enqueue = a->queue && a->mode[ZT_HOOK_STORE] != ZT_MODE_KPROBE;
	decide_modes(a);
	return 0;
}

int zt_attach_load(struct zt_attach *a)
{
	bool all[ZT_NR_HOOKS], none[ZT_NR_HOOKS] = { false };
	int err;

	for (int h = 0; h < ZT_NR_HOOKS; h++)
		all[h] = true;
	if (!a->opts.queues_only)
		return load_hooks(a, all);
	err = group_load(a, 0, "", none); /* status: read_queues alone */
	if (err == -EPERM || err == -EACCES)
		fprintf(stderr, "zpcitrace: not allowed to load BPF programs (%s): run as root\n", strerror(-permanent(a, ZT_EXIT_NOPERM, err)));
	else if (err)
		fprintf(stderr, "zpcitrace: cannot load the BPF program that reads the queues: %s (-v tells more)\n",
			strerror(-err));
	else if (!a->zpci_list)
		no_zpci_list(&a->opts);
	return err ?: a->zpci_list ? 0 : -ENOENT;
}

int zt_attach_attach(struct zt_attach *a)
{
	int err = a->opts.queues_only ? 0 : attach_hooks(a);

	if (err || a->opts.queues_only)
		return err;
	if (a->queue && !a->zpci_list)
		no_zpci_list(&a->opts);
	for (int h = 0; h < ZT_NR_HOOKS; h++)
		if (a->mode[h] == ZT_MODE_PENDING)
			fprintf(stderr, "zpcitrace: module %s is not loaded: %s pending until it is\n", zt_hooks[h].module,
				zt_hooks[h].func);
	if (zt_attach_has_pending(a) && a->uevent_fd < 0)
		fprintf(stderr, "zpcitrace: cannot listen for module loads (%s): looking for them every second\n",
			strerror(errno));
	return 0;
}

bool zt_attach_derived(const struct zt_attach *a)
{
	return a->derive_enqueue;
}

enum zt_uapi zt_attach_uapi(const struct zt_attach *a)
{
	return a->uapi;
}

int zt_attach_events_fd(const struct zt_attach *a)
{
	return a->objs[0] ? bpf_map__fd(a->objs[0]->maps.events) : -1;
}

void zt_attach_losses(const struct zt_attach *a, struct zt_losses *l)
{
	for (int i = 0; i < ZT_NR_LOSSES; i++)
		l->n[i] = a->objs[0] ? a->objs[0]->bss->losses[i] : 0;
}

bool zt_attach_has_pending(const struct zt_attach *a)
{
	for (int h = 0; h < ZT_NR_HOOKS; h++)
		if (a->mode[h] == ZT_MODE_PENDING)
			return true;
	return false;
}

/* attach the pending hooks in which[], whose module is there now; one line each */
static int attach_pending(struct zt_attach *a, const bool which[ZT_NR_HOOKS])
{
	unsigned long long t = now_ns();
	bool failed;
	int n = 0;

	memset(&a->costs, 0, sizeof(a->costs));
	failed = locate(a, which) || load_hooks(a, which) || attach_hooks(a);
	if (a->opts.verbose && !failed) {
		fprintf(stderr, "zpcitrace: module hooks attached in ");
		zt_attach_costs_print(&a->costs, (now_ns() - t) / 1e6, stderr);
	}
	if (failed)
		return 0;
	for (int h = 0; h < ZT_NR_HOOKS; h++) {
		if (!which[h])
			continue;
		fprintf(stderr, "zpcitrace: module %s loaded: %s %s\n", zt_hooks[h].module, zt_hooks[h].func,
			zt_mode_name(a->mode[h]));
		n += a->mode[h] == ZT_MODE_FENTRY || a->mode[h] == ZT_MODE_KPROBE;
	}
	return n;
}

int zt_attach_pending(struct zt_attach *a)
{
	bool which[ZT_NR_HOOKS] = { false };
	int n = 0;

	for (int h = 0; h < ZT_NR_HOOKS; h++)
		if (a->mode[h] == ZT_MODE_PENDING && module_loaded(zt_hooks[h].module))
			which[h] = true, n++;
	return n ? attach_pending(a, which) : 0;
}

static int module_added(struct zt_attach *a, const char *mod)
{
	bool which[ZT_NR_HOOKS] = { false };
	int n = 0;

	for (int h = 0; h < ZT_NR_HOOKS; h++)
		if (a->mode[h] == ZT_MODE_PENDING && !strcmp(zt_hooks[h].module, mod))
			which[h] = true, n++;
	return n ? attach_pending(a, which) : 0;
}

/* its hooks are dead now (the kernel disarmed their kprobes): detach them, free their object, wait for it again */
static int module_removed(struct zt_attach *a, const char *mod)
{
	char names[256] = "";
	size_t len = 0;
	int n = 0;

	for (int h = 0; h < ZT_NR_HOOKS; h++) {
		if (!zt_hooks[h].module || strcmp(zt_hooks[h].module, mod) || a->mode[h] == ZT_MODE_OFF ||
		    a->mode[h] == ZT_MODE_PENDING)
			continue;
		detach_hook(a, h);
		a->mode[h] = ZT_MODE_PENDING;
		len += snprintf(names + len, sizeof(names) - len, "%s%s", n ? ", " : "", zt_hooks[h].func);
		if (len >= sizeof(names))
			len = sizeof(names) - 1;
		n++;
	}
	for (int i = 1; i < ZT_MAX_OBJS; i++)
		if (a->objs[i] && !strcmp(a->obj_module[i], mod))
			group_free(a, i);
	if (n)
		fprintf(stderr, "zpcitrace: module %s removed: %s gone until it is loaded again\n", mod, names);
	return n;
}

int zt_attach_module_fd(const struct zt_attach *a)
{
	return a->uevent_fd;
}

/* uevents were lost (the socket overflowed, ENOBUFS): what they said is looked up instead */
static int modules_resync(struct zt_attach *a)
{
	int n = zt_attach_pending(a);

	for (int h = 0; h < ZT_NR_HOOKS; h++)
		if (zt_hooks[h].module && (a->mode[h] == ZT_MODE_FENTRY || a->mode[h] == ZT_MODE_KPROBE) &&
		    !module_loaded(zt_hooks[h].module))
			n += module_removed(a, zt_hooks[h].module);
	return n;
}

int zt_attach_module_events(struct zt_attach *a)
{
	char buf[8192];
	struct sockaddr_nl from;
	socklen_t fromlen = sizeof(from);
	ssize_t len;
	int n = 0;

	while ((len = recvfrom(a->uevent_fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fromlen)) > 0) {
		char *at;

		buf[len] = 0;
		fromlen = sizeof(from);
		at = strchr(buf, '@');
		if (from.nl_pid != 0 || !at || strncmp(at + 1, "/module/", 8))
			continue;
		*at = 0;
		if (!strcmp(buf, "add"))
			n += module_added(a, at + 9);
		else if (!strcmp(buf, "remove"))
			n += module_removed(a, at + 9);
	}
	if (len < 0 && errno == ENOBUFS) {
		fprintf(stderr, "zpcitrace: module announcements were lost (%s): looking at /sys/module instead\n",
			strerror(errno));
		n += modules_resync(a);
	}
	return n;
}

int zt_attach_read_queues(struct zt_attach *a)
{
	struct zpcitrace_bpf *s = a->objs[0];
	int fd = s && a->zpci_list ? bpf_program__fd(s->progs.read_queues) : -1;

	if (fd < 0)
		return -ENOENT;
	set_stage(a, "reading the queues");
	s->bss->snap_pos = 0;
	s->bss->snap_done = 0;
	s->bss->snap_functions = 0;
	for (int run = 0; !s->bss->snap_done; run++) {
		LIBBPF_OPTS(bpf_test_run_opts, o);

		if (run == MAX_QUEUE_RUNS)
			return -ELOOP;
		if (bpf_prog_test_run_opts(fd, &o))
			return -errno;
	}
	return (int)s->bss->snap_functions;
}

void zt_attach_free(struct zt_attach *a)
{
	if (!a)
		return;
	if (a->uevent_fd >= 0)
		close(a->uevent_fd);
	a->uevent_fd = -1;
	for (int h = 0; h < ZT_NR_HOOKS; h++)
		detach_hook(a, h);
	for (int i = ZT_MAX_OBJS - 1; i >= 0; i--) /* [0] owns the maps: last */
		zpcitrace_bpf__destroy(a->objs[i]);
	free(a);
}

const struct zt_attach_costs *zt_attach_costs(const struct zt_attach *a)
{
	return &a->costs;
}

void zt_attach_costs_print(const struct zt_attach_costs *c, double total_ms, FILE *out)
{
	fprintf(out, "%.1f ms: finding the functions %.1f ms (%u reads of /proc/kallsyms), objects %.1f ms (%u loaded, "
		     "%u programs verified), attach %.1f ms (%u links)\n",
		total_ms, c->lookup_ns / 1e6, c->kallsyms_reads, c->load_ns / 1e6, c->objects, c->programs,
		c->attach_ns / 1e6, c->links);
}

void zt_attach_prog_stats(const struct zt_attach *a, FILE *out)
{
	for (int h = 0; h < ZT_NR_HOOKS; h++)
		for (int i = 0; i < 2; i++) {
			struct bpf_prog_info info = { 0 };
			__u32 len = sizeof(info);

			if (!a->links[h][i] || bpf_obj_get_info_by_fd(bpf_program__fd(a->progs[h][i]), &info, &len))
				continue;
			fprintf(out, "  prog %-24s %-31s %8llu runs %10.0f ns/run\n", bpf_program__name(a->progs[h][i]),
				zt_hooks[h].func, (unsigned long long)info.run_cnt,
				info.run_cnt ? (double)info.run_time_ns / info.run_cnt : 0.0);
		}
}

void zt_attach_hook_states(const struct zt_attach *a, struct zt_hook_state *out)
{
	for (int h = 0; h < ZT_NR_HOOKS; h++) {
		const char *m = a->mode[h] == ZT_MODE_PENDING ? zt_hooks[h].module : a->module[h];

		out[h] = (struct zt_hook_state){ zt_hooks[h].func, zt_hooks[h].role, zt_mode_name(a->mode[h]),
						 m && *m ? m : NULL };
	}
}
