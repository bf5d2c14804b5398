// SPDX-License-Identifier: GPL-2.0
/* zpcitrace: the zPCI error-event queue of s390x Linux >= 7.3 ("Error recovery for vfio-pci devices").
 *
 * Each hooked kernel function has a handler pair, on_<hook>_enter(args) and on_<hook>_exit(ret), called from
 * an fentry/fexit pair or from a kprobe/kretprobe twin; the loader picks one per hook. The enter handler
 * stashes what the exit handler needs, per thread. Queue state is read at exit, after the kernel dropped
 * pending_errs_lock: a value read at entry is an unlocked snapshot (close's discard count uses one, and v12's
 * inline dequeue the head: only dequeues move it, so one that moved during the call took an entry).
 *
 * Enqueue runs in the kmcheck kthread (zpci_event_error -> ... -> zpci_store_pci_error -> error_detected);
 * the dequeue in the ioctl caller (vfio_pci_zdev_feature_err -> zpci_get_pending_error). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "zt_event.h"
#include "zt_losses.h"
#include "submit.h"

char LICENSE[] SEC("license") = "GPL";

#define EINVAL 22
#define ENOMEM 12
#define ENOMSG 42
#define VFIO_DEVICE_FEATURE_GET (1 << 16)
#define VFIO_DEVICE_FEATURE_PROBE (1 << 18)

/* set by the loader before load */
const volatile bool filter_fid_on = false;
const volatile __u32 filter_fid = 0;
const volatile bool derive_enqueue = false; /* no store hook: derive the outcome at zpci_event_error's exit */

#define EVENTS_BYTES (256 * 1024)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, EVENTS_BYTES);
} events SEC(".maps");

/* what an entry handler leaves for its exit handler */
struct call {
	__u64 zdev;
	__u64 ptr;       /* store, arrival: the CCDF; feature: the user argument */
	__u64 buf;       /* feature: zpci_get_pending_error's output buffer (on the caller's stack) */
	__u8 ccdf[ZT_CCDF_LEN]; /* feature: the dequeued CCDF, copied while that stack frame is alive */
	__u32 flags;
	__s32 get_ret;   /* feature: set by the nested zpci_get_pending_error */
	__u32 fid;
	__u8 q_valid;    /* queue state at entry (advisory) */
	__u8 q_mr, q_count, q_head, q_tail;
	__u8 live;       /* stashed by an entry, not yet taken by its exit */
};

/* each thread's calls under way, one per hook: task storage, not a hash keyed by thread and hook. Its lookup
 * is the task's own cache slot; a hash took an update at each entry and a lookup and a delete at each exit,
 * most of a rare hook's program time (the close's). Freed with the task */
struct calls_of_task {
	struct call hook[ZT_NR_HOOKS];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct calls_of_task);
} calls SEC(".maps");

/* what is known of a function: its zdev, and the PCI address, which does not change while the zdev lives */
struct fn_known {
	__u64 zdev;
	__u32 pci_domain;
	__u8 pci_bus, pci_devfn, has_pci, pad;
};

/* fid -> what is known of it, learned from the first event that names it: lets an arrival find its queue, and
 * spares each event the four reads of the PCI address */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct fn_known);
} zdev_by_fid SEC(".maps");

/* what the run could not see (bpf/zt_losses.h): records the ring buffer could not take, entries whose call could
 * not be kept for its return (no task storage for it) */
__u64 losses[ZT_NR_LOSSES] = {};

/* v12 of the series kept mediated_recovery in struct zpci_dev and returned {version, pending_errors, pec} */
struct zpci_dev___v12 {
	bool mediated_recovery;
};
struct vfio_device_feature_zpci_err___v12 {
	__u8 version;
	__u8 pending_errors;
	__u16 pec;
};

static __always_inline bool wanted(__u32 fid)
{
	return !filter_fid_on || fid == filter_fid;
}

/* A record with who and when. On JIT kernels the task's pid, tgid, CPU and comm are loads from current's task_struct
 * (one helper call, not three: most of a small program's time is its helper calls); the interpreter makes each
 * such load a probe read, so the plain programs ask the helpers. */
static __always_inline struct zt_event *reserve(__u32 type, bool jit)
{
	struct zt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&losses[ZT_LOSS_RINGBUF], 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->type = type;
	if (jit && bpf_core_field_exists(((struct task_struct *)0)->thread_info.cpu)) {
		struct task_struct *t = bpf_get_current_task_btf();
		/* comm as two 8-byte loads: a char array copied as such is 16 byte loads */
		__u64 *comm = (__u64 *)e->comm;

		e->cpu = t->thread_info.cpu;
		e->pid = t->tgid;
		e->tid = t->pid;
		comm[0] = *(__u64 *)&t->comm[0];
		comm[1] = *(__u64 *)&t->comm[8];
	} else {
		__u64 id = bpf_get_current_pid_tgid();

		e->cpu = bpf_get_smp_processor_id();
		e->pid = id >> 32;
		e->tid = (__u32)id;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	}
	e->get_ret = ZT_NOT_CALLED;
	return e;
}

static __always_inline void submit(struct zt_event *e)
{
	zt_submit(e, &events, EVENTS_BYTES);
}

static __always_inline void stash(__u32 hook, struct call *c)
{
	struct calls_of_task *t = bpf_task_storage_get(&calls, bpf_get_current_task_btf(), NULL,
						       BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!t || hook >= ZT_NR_HOOKS) {
		/* the first call of a task while another holds the storage's lock on this CPU, or no memory: its
		 * exit will find nothing; counted */
		__sync_fetch_and_add(&losses[ZT_LOSS_UNTRACED], 1);
		return;
	}
	t->hook[hook] = *c;
	t->hook[hook].live = 1;
}

static __always_inline struct call *stashed(__u32 hook)
{
	struct calls_of_task *t = bpf_task_storage_get(&calls, bpf_get_current_task_btf(), NULL, 0);

	if (!t || hook >= ZT_NR_HOOKS || !t->hook[hook].live)
		return NULL;
	return &t->hook[hook];
}

/* A field of a kernel structure (vmlinux's types only). The programs for JIT kernels (fentry/fexit and the kprobes'
 * _jit twins: jit) read through bpf_core_cast: a load the JIT guards (a fault reads 0), where BPF_CORE_READ is a
 * bpf_probe_read_kernel call per field, most of a small program's run time. The interpreter cannot call kfuncs
 * (the verifier refuses a program with one, even where it is never reached), so the plain kprobe programs, which
 * must run there, use the helper. */
#ifndef bpf_core_cast /* libbpf < 1.4's headers (Debian 12's, the native build) */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
#define bpf_core_cast(ptr, type) ((typeof(type) *)bpf_rdonly_cast((ptr), bpf_core_type_id_kernel(type)))
#endif
#define KREAD(jit, type, ptr, field) \
	((jit) ? bpf_core_cast((ptr), type)->field : BPF_CORE_READ((type *)(ptr), field))

static __always_inline void read_pci(struct zpci_dev *zdev, struct fn_known *k, bool jit)
{
	struct zpci_bus *zbus = KREAD(jit, struct zpci_dev, zdev, zbus);
	struct pci_bus *bus;

	if (!zbus)
		return;
	k->has_pci = 1;
	k->pci_domain = KREAD(jit, struct zpci_bus, zbus, domain_nr);
	bus = KREAD(jit, struct zpci_bus, zbus, bus);
	k->pci_bus = KREAD(jit, struct pci_bus, bus, number);
	k->pci_devfn = KREAD(jit, struct zpci_dev, zdev, devfn);
}

static __always_inline struct zpci_dev *zdev_of_fid(__u32 fid)
{
	struct fn_known *k = bpf_map_lookup_elem(&zdev_by_fid, &fid);

	return k ? (struct zpci_dev *)k->zdev : NULL;
}

struct queue {
	__u8 valid, mr, count, head, tail;
};

static __always_inline void read_queue(struct zpci_dev *zdev, struct queue *q, bool jit)
{
	__builtin_memset(q, 0, sizeof(*q));
	if (!zdev || !bpf_core_field_exists(zdev->pending_errs))
		return;
	q->valid = 1;
	if (jit) {
		struct zpci_dev *z = bpf_core_cast(zdev, struct zpci_dev);

		if (bpf_core_field_exists(zdev->pending_errs.mediated_recovery))
			q->mr = z->pending_errs.mediated_recovery;
		else if (bpf_core_field_exists(((struct zpci_dev___v12 *)zdev)->mediated_recovery))
			q->mr = bpf_core_cast(zdev, struct zpci_dev___v12)->mediated_recovery;
		q->count = z->pending_errs.count;
		q->head = z->pending_errs.head;
		q->tail = z->pending_errs.tail;
		return;
	}
	if (bpf_core_field_exists(zdev->pending_errs.mediated_recovery)) {
		/* {bool mediated_recovery; u8 count, head, tail;}: one read of the header, not four (each read is
		 * a helper call); the offsets are constants once CO-RE relocated them */
		__u32 base = bpf_core_field_offset(zdev->pending_errs.mediated_recovery);
		__u32 c = bpf_core_field_offset(zdev->pending_errs.count) - base;
		__u32 h = bpf_core_field_offset(zdev->pending_errs.head) - base;
		__u32 t = bpf_core_field_offset(zdev->pending_errs.tail) - base;
		__u8 hdr[8] = {};

		if (c < sizeof(hdr) && h < sizeof(hdr) && t < sizeof(hdr)) {
			bpf_probe_read_kernel(hdr, sizeof(hdr), (void *)zdev + base);
			q->mr = hdr[0];
			q->count = hdr[c];
			q->head = hdr[h];
			q->tail = hdr[t];
			return;
		}
		q->mr = BPF_CORE_READ(zdev, pending_errs.mediated_recovery);
	} else if (bpf_core_field_exists(((struct zpci_dev___v12 *)zdev)->mediated_recovery)) {
		q->mr = BPF_CORE_READ((struct zpci_dev___v12 *)zdev, mediated_recovery);
	}
	q->count = BPF_CORE_READ(zdev, pending_errs.count);
	q->head = BPF_CORE_READ(zdev, pending_errs.head);
	q->tail = BPF_CORE_READ(zdev, pending_errs.tail);
}

static __always_inline void put_queue(struct zt_event *e, const struct queue *q)
{
	e->q_valid = q->valid;
	e->q_mr = q->mr;
	e->q_count = q->count;
	e->q_head = q->head;
	e->q_tail = q->tail;
}

/* function identity and queue state (read now) from the zdev */
static __always_inline void put_function(struct zt_event *e, struct zpci_dev *zdev, bool jit)
{
	struct fn_known *known, pci;
	struct queue q;

	if (!zdev)
		return;
	e->has_fn = 1;
	if (jit) {
		e->fid = KREAD(jit, struct zpci_dev, zdev, fid);
		e->fh = KREAD(jit, struct zpci_dev, zdev, fh);
	} else if (bpf_core_field_offset(zdev->fh) == bpf_core_field_offset(zdev->fid) + 4) {
		__u32 id[2] = {}; /* u32 fid, fh; side by side: one read */

		bpf_probe_read_kernel(id, sizeof(id), (void *)zdev + bpf_core_field_offset(zdev->fid));
		e->fid = id[0];
		e->fh = id[1];
	} else {
		e->fid = BPF_CORE_READ(zdev, fid);
		e->fh = BPF_CORE_READ(zdev, fh);
	}
	/* learn the function here, where its event needs the lookup anyway: the usual case is a lookup, an
	 * update (dearer) only when the fid is new or has a new zdev */
	known = bpf_map_lookup_elem(&zdev_by_fid, &e->fid);
	if (known && known->zdev == (__u64)zdev) {
		pci = *known;
	} else {
		__builtin_memset(&pci, 0, sizeof(pci));
		pci.zdev = (__u64)zdev;
		read_pci(zdev, &pci, jit);
		bpf_map_update_elem(&zdev_by_fid, &e->fid, &pci, BPF_ANY);
	}
	e->has_pci = pci.has_pci;
	e->pci_domain = pci.pci_domain;
	e->pci_bus = pci.pci_bus;
	e->pci_devfn = pci.pci_devfn;
	read_queue(zdev, &q, jit);
	put_queue(e, &q);
}

static __always_inline void put_ccdf(struct zt_event *e, const void *ccdf)
{
	e->has_ccdf = 1;
	bpf_probe_read_kernel(e->ccdf, sizeof(e->ccdf), ccdf);
}

/* to_zpci(): ((struct zpci_bus *)pdev->sysdata)->function[pdev->devfn] (an index the verifier does not take in a
 * load through a cast: that one is read with the helper) */
static __always_inline struct zpci_dev *pdev_to_zdev(struct pci_dev *pdev, bool jit)
{
	struct zpci_bus *zbus = (struct zpci_bus *)KREAD(jit, struct pci_dev, pdev, sysdata);
	unsigned int devfn = KREAD(jit, struct pci_dev, pdev, devfn) & 0xff;
	struct zpci_dev *zdev = NULL;

	void *slot;

	if (!zbus)
		return NULL;
	slot = (void *)zbus + bpf_core_field_offset(struct zpci_bus, function) + devfn * sizeof(zdev);
	if (jit) /* a load: the verifier takes no variable index into a cast's array, so the slot is cast to a
		  * kernel type whose first member is a pointer */
		return (struct zpci_dev *)bpf_core_cast(slot, struct list_head)->next;
	bpf_probe_read_kernel(&zdev, sizeof(zdev), slot);
	return zdev;
}

/* container_of(device, struct vfio_pci_core_device, vdev), then to_zpci(vdev->pdev) (vfio_pci_core's type may be
 * a module's, which a cast cannot name: the helper) */
static __always_inline struct zpci_dev *vfio_device_to_zdev(struct vfio_device *device, bool jit)
{
	struct vfio_pci_core_device *core;

	core = (void *)device - bpf_core_field_offset(struct vfio_pci_core_device, vdev);
	return pdev_to_zdev(BPF_CORE_READ(core, pdev), jit);
}

static __always_inline bool fid_wanted(struct zpci_dev *zdev, bool jit)
{
	return !filter_fid_on || (zdev && KREAD(jit, struct zpci_dev, zdev, fid) == filter_fid);
}

/* an entry handler's common part: remember the call when its function is traced (its exit handler's
 * event learns the function's zdev for later arrivals) */
static __always_inline void enter(__u32 hook, struct zpci_dev *zdev, struct call *c, bool jit)
{
	if (fid_wanted(zdev, jit))
		stash(hook, c);
}

/* ---- arrival: void zpci_event_error(void *data), data = struct zpci_ccdf_err * ---------------------- */

static __always_inline int on_event_error_enter(struct zpci_ccdf_err *ccdf, bool jit)
{
	__u32 fid = KREAD(jit, struct zpci_ccdf_err, ccdf, fid);
	struct zpci_dev *zdev = zdev_of_fid(fid);
	struct zt_event *e;

	if (!wanted(fid))
		return 0;
	if (derive_enqueue) {
		struct call c = { .zdev = (__u64)zdev, .ptr = (__u64)ccdf, .fid = fid };
		struct queue q;

		read_queue(zdev, &q, jit);
		c.q_valid = q.valid;
		c.q_mr = q.mr;
		c.q_count = q.count;
		c.q_head = q.head;
		c.q_tail = q.tail;
		stash(ZT_HOOK_EVENT_ERROR, &c);
	}
	e = reserve(ZT_EV_ARRIVAL, jit);
	if (!e)
		return 0;
	put_function(e, zdev, jit);
	e->has_fn = 1;
	e->fid = fid;
	e->fh = KREAD(jit, struct zpci_ccdf_err, ccdf, fh);
	put_ccdf(e, ccdf);
	submit(e);
	return 0;
}

/* Without a store hook: what did this arrival do to its function's queue? The queue's tail only moves
 * when an error is stored (kmcheck is the only producer), or back to 0 when close discards the queue.
 * Decided at the notify hook when there is one: it runs in the same thread right after the store and
 * before the VMM is signalled, so the VMM cannot have reacted to this error yet; else at the exit of
 * zpci_event_error, which may come long after (the kernel reports the status first). */
static __always_inline void derive_outcome(struct call *c, struct zpci_dev *zdev, bool jit)
{
	struct zpci_ccdf_err *ccdf;
	struct zt_event *e;
	struct queue after;
	__u16 pec;

	if (!zdev)
		zdev = (struct zpci_dev *)c->zdev;
	if (!zdev)
		zdev = zdev_of_fid(c->fid); /* learned during the call */
	read_queue(zdev, &after, jit);
	ccdf = (struct zpci_ccdf_err *)c->ptr; /* not inside BPF_CORE_READ: struct call is ours, not the kernel's */
	pec = KREAD(jit, struct zpci_ccdf_err, ccdf, pec);
	/* FMB events never reach the queue; nor does an error for a queue with room whose tail did not move
	 * (the VMM may be draining meanwhile: the count says little, the tail only moves on a store) */
	if (pec == 0x2a || pec == 0x2b || pec == 0x2c || !after.valid ||
	    (c->q_valid && c->q_mr && after.mr && after.tail == c->q_tail && c->q_count < ZT_QUEUE_DEPTH))
		return;
	e = reserve(ZT_EV_ENQUEUE, jit);
	if (!e)
		return;
	put_function(e, zdev, jit);
	put_ccdf(e, ccdf);
	e->derived = 1;
	if (!c->q_valid)
		e->result = ZT_ENQ_UNKNOWN; /* the function's queue was not known yet at arrival */
	else if (!c->q_mr && !after.mr)
		e->result = ZT_ENQ_NOT_STORED;
	else if (after.mr && (__u8)(after.tail - c->q_tail) == 1) {
		e->result = ZT_ENQ_STORED;
		e->has_slot = 1;
		e->slot = c->q_tail % ZT_QUEUE_DEPTH;
	} else if (after.mr && after.tail == c->q_tail)
		e->result = ZT_ENQ_DROPPED_FULL;
	else
		e->result = ZT_ENQ_UNKNOWN; /* a close discarded the queue meanwhile */
	submit(e);
}

static __always_inline int on_event_error_exit(bool jit)
{
	struct call *c;

	if (!derive_enqueue)
		return 0;
	c = stashed(ZT_HOOK_EVENT_ERROR);
	if (!c)
		return 0; /* decided at notify */
	derive_outcome(c, NULL, jit);
	c->live = 0; /* taken */
	return 0;
}

/* ---- enqueue: static int zpci_store_pci_error(struct pci_dev *pdev, struct zpci_ccdf_err *ccdf) ------ */

static __always_inline int on_store_enter(struct pci_dev *pdev, struct zpci_ccdf_err *ccdf, bool jit)
{
	struct zpci_dev *zdev = pdev_to_zdev(pdev, jit);
	struct call c = { .zdev = (__u64)zdev, .ptr = (__u64)ccdf };

	enter(ZT_HOOK_STORE, zdev, &c, jit);
	return 0;
}

static __always_inline int on_store_exit(int ret, bool jit)
{
	struct call *c = stashed(ZT_HOOK_STORE);
	struct zt_event *e;

	if (!c)
		return 0;
	e = reserve(ZT_EV_ENQUEUE, jit);
	if (e) {
		put_function(e, (struct zpci_dev *)c->zdev, jit);
		put_ccdf(e, (void *)c->ptr);
		e->ret = ret;
		if (ret == 0) {
			e->result = ZT_ENQ_STORED;
			e->has_slot = 1;
			e->slot = (__u8)(e->q_tail - 1) % ZT_QUEUE_DEPTH;
		} else if (ret == -ENOMEM) {
			e->result = ZT_ENQ_DROPPED_FULL;
		} else if (ret == -EINVAL) {
			e->result = ZT_ENQ_NOT_STORED;
		}
		submit(e);
	}
	c->live = 0; /* taken */
	return 0;
}

/* ---- notify: pci_ers_result_t vfio_pci_core_aer_err_detected(struct pci_dev *, pci_channel_state_t) ---- */

static __always_inline int on_notify_enter(struct pci_dev *pdev, unsigned int state, bool jit)
{
	struct zpci_dev *zdev = pdev_to_zdev(pdev, jit);
	struct zt_event *e;

	if (derive_enqueue) {
		struct call *c = stashed(ZT_HOOK_EVENT_ERROR); /* this thread's arrival */

		if (c) {
			derive_outcome(c, zdev, jit);
			c->live = 0; /* taken */
		}
	}
	if (!fid_wanted(zdev, jit))
		return 0;
	e = reserve(ZT_EV_NOTIFY, jit);
	if (!e)
		return 0;
	put_function(e, zdev, jit);
	e->state = state;
	submit(e);
	return 0;
}

/* ---- dequeue: int vfio_pci_zdev_feature_err(struct vfio_device *, u32 flags, void __user *arg, size_t) --- */

/* the kernel speaks the series' v12 uAPI: feature 12 answers {version, pending_errors, pec} */
static __always_inline bool uapi_v12(void)
{
	return bpf_core_field_exists(((struct vfio_device_feature_zpci_err___v12 *)0)->pending_errors);
}

static __always_inline int on_feature_enter(struct vfio_device *device, __u32 flags, void *arg, bool jit)
{
	struct zpci_dev *zdev = vfio_device_to_zdev(device, jit);
	struct call c = { .zdev = (__u64)zdev, .ptr = (__u64)arg, .flags = flags, .get_ret = ZT_NOT_CALLED };

	if (uapi_v12()) {
		/* v12 dequeues inline: the head it moves tells whether it took an entry */
		struct queue q;

		read_queue(zdev, &q, jit);
		c.q_valid = q.valid;
		c.q_head = q.head;
	}
	enter(ZT_HOOK_FEATURE, zdev, &c, jit);
	return 0;
}

/* v12 5/7 dequeues under pending_errs_lock without zpci_get_pending_error, and answers {version, pending_errors,
 * pec}: no CCDF, no -ENOMSG (an empty queue answers rc 0, pec 0), -EFAULT when that answer cannot be written. The
 * head moved: an entry was taken, the one in the slot behind the head (its CCDF stays there until a store reuses
 * the slot), and get_ret says 0 as zpci_get_pending_error would; it stayed and the call answered: the queue was
 * empty, get_ret -ENOMSG. */
static __always_inline void v12_dequeue(struct zt_event *e, const struct call *c, int ret)
{
	struct vfio_device_feature_zpci_err___v12 answer = {};
	struct zpci_dev *zdev = (struct zpci_dev *)c->zdev;

	e->v12 = 1;
	if (ret == 0 && c->ptr && !bpf_probe_read_user(&answer, sizeof(answer), (void *)c->ptr))
		e->v12_pec = answer.pec;
	if (!(c->flags & VFIO_DEVICE_FEATURE_GET) || (c->flags & VFIO_DEVICE_FEATURE_PROBE))
		return;
	if (!c->q_valid || !e->q_valid) {
		if (ret == 0) /* the queue could not be read: the answer tells */
			e->get_ret = e->v12_pec ? 0 : -ENOMSG;
		return;
	}
	if (e->q_head == c->q_head) {
		if (ret == 0)
			e->get_ret = -ENOMSG;
		return;
	}
	e->get_ret = 0;
	e->has_slot = 1;
	e->slot = (__u8)(e->q_head - 1) % ZT_QUEUE_DEPTH;
	if (bpf_core_field_exists(zdev->pending_errs.err))
		put_ccdf(e, (void *)zdev + bpf_core_field_offset(zdev->pending_errs.err) +
				    e->slot * sizeof(struct zpci_ccdf_err));
}

static __always_inline int on_feature_exit(int ret, bool jit)
{
	struct call *c = stashed(ZT_HOOK_FEATURE);
	struct zt_event *e;

	if (!c)
		return 0; /* tracing started inside this call */
	e = reserve(ZT_EV_FEATURE, jit);
	if (e) {
		put_function(e, (struct zpci_dev *)c->zdev, jit);
		e->ret = ret;
		e->get_ret = c->get_ret;
		e->flags = c->flags;
		if (c->get_ret == 0 && c->buf) {
			/* copied at zpci_get_pending_error's exit: kept even when copy_to_user then failed */
			e->has_ccdf = 1;
			__builtin_memcpy(e->ccdf, c->ccdf, sizeof(e->ccdf));
			e->has_slot = 1;
			e->slot = (__u8)(e->q_head - 1) % ZT_QUEUE_DEPTH;
		} else if (uapi_v12()) {
			v12_dequeue(e, c, ret);
		}
		submit(e);
	}
	c->live = 0; /* taken */
	return 0;
}

/* ---- int zpci_get_pending_error(struct zpci_dev *zdev, struct zpci_ccdf_err *ccdf) -------------------- */

/* In vmlinux, exported: the dequeue is seen here whether or not vfio_pci_core's hooks are attached (the module
 * may load after the start, or come and go). Inside a traced feature call it only feeds that call's event. */
static __always_inline int on_get_enter(struct zpci_dev *zdev, struct zpci_ccdf_err *ccdf, bool jit)
{
	struct call *c = stashed(ZT_HOOK_FEATURE);
	struct call own = { .zdev = (__u64)zdev, .buf = (__u64)ccdf };

	if (c) {
		c->zdev = (__u64)zdev;
		c->buf = (__u64)ccdf;
		return 0;
	}
	enter(ZT_HOOK_GET, zdev, &own, jit);
	return 0;
}

/* a dequeue with no feature call traced around it: its own event */
static __always_inline void get_alone(struct call *c, int ret, bool jit)
{
	struct zt_event *e = reserve(ZT_EV_FEATURE, jit);

	if (!e)
		return;
	put_function(e, (struct zpci_dev *)c->zdev, jit);
	e->ret = e->get_ret = ret;
	e->via_get = 1;
	if (ret == 0 && c->buf) {
		put_ccdf(e, (void *)c->buf); /* the caller's buffer, still alive: we are at the callee's return */
		e->has_slot = 1;
		e->slot = (__u8)(e->q_head - 1) % ZT_QUEUE_DEPTH;
	}
	submit(e);
}

static __always_inline int on_get_exit(int ret, bool jit)
{
	struct call *c = stashed(ZT_HOOK_FEATURE);

	if (!c) {
		c = stashed(ZT_HOOK_GET);
		if (c) {
			get_alone(c, ret, jit);
			c->live = 0; /* taken */
		}
		return 0;
	}
	c->get_ret = ret;
	/* the buffer lives in vfio_pci_zdev_feature_err's frame: read it now, not after that returns */
	if (ret == 0 && c->buf)
		bpf_probe_read_kernel(c->ccdf, sizeof(c->ccdf), (void *)c->buf);
	return 0;
}

/* ---- void zpci_start_mediated_recovery(struct zpci_dev *) / zpci_stop_mediated_recovery (memsets it) ---- */

static __always_inline int on_lifecycle_enter(__u32 hook, struct zpci_dev *zdev, bool jit)
{
	struct call c = { .zdev = (__u64)zdev };
	struct queue q;

	/* close: what is queued now is what the memset discards (unlocked read: a store racing with the
	 * close can still get in before the lock; the correlator sees that store) */
	read_queue(zdev, &q, jit);
	c.q_valid = q.valid;
	c.q_count = q.count;
	enter(hook, zdev, &c, jit);
	return 0;
}

static __always_inline int on_lifecycle_exit(__u32 hook, __u32 type, int ret, bool jit)
{
	struct call *c = stashed(hook);
	struct zt_event *e;

	if (!c)
		return 0;
	e = reserve(type, jit);
	if (e) {
		put_function(e, (struct zpci_dev *)c->zdev, jit);
		e->ret = ret;
		if (type == ZT_EV_CLOSE)
			e->discarded = c->q_count;
		submit(e);
	}
	c->live = 0; /* taken */
	return 0;
}

/* ---- void zpci_event_availability(void *data), data = struct zpci_ccdf_avail * ------------------------- */

static __always_inline int on_avail_enter(struct zpci_ccdf_avail *ccdf, bool jit)
{
	__u32 fid = KREAD(jit, struct zpci_ccdf_avail, ccdf, fid);
	struct zt_event *e;

	if (!wanted(fid))
		return 0;
	e = reserve(ZT_EV_AVAIL, jit);
	if (!e)
		return 0;
	put_function(e, zdev_of_fid(fid), jit);
	e->has_fn = 1;
	e->fid = fid;
	e->fh = KREAD(jit, struct zpci_ccdf_avail, ccdf, fh);
	put_ccdf(e, ccdf);
	submit(e);
	/* the function may come back as a new zdev, at the same address with another PCI address: learn anew */
	bpf_map_delete_elem(&zdev_by_fid, &fid);
	return 0;
}

/* ---- the queues at start: read_queues walks zpci_list, one function per run ----------------------------- */

/* &zpci_list (static in arch/s390/pci/pci.c, so not in BTF): the loader asks the kernel's symbol lookup
 * (bpf/lookup.bpf.c), or reads /proc/kallsyms where it cannot */
const volatile __u64 zpci_list_addr = 0;
/* the walk's cursor, kept between runs: the loader runs the program (BPF_PROG_TEST_RUN) until snap_done. One
 * function per run keeps the program loop-free, so the verifier has little to do (it runs under TCG too). */
__u64 snap_pos = 0;
__u32 snap_done = 0;
__u32 snap_functions = 0;

/* zpci_list is walked without zpci_list_lock and each queue read without pending_errs_lock: a function that goes
 * away during the walk can end it early (the loader bounds the runs), and an error stored meanwhile may be both
 * read here and traced (the correlator counts it once, by its counter). */
static __always_inline void snapshot_function(struct zpci_dev *zdev)
{
	struct zt_event *e, head;
	struct queue q;
	__u32 fid = BPF_CORE_READ(zdev, fid);
	__u32 base;

	if (!wanted(fid))
		return;
	snap_functions++;
	e = reserve(ZT_EV_QUEUE, false);
	if (!e)
		return;
	put_function(e, zdev, false); /* raw_tp, run on every kernel */
	head = *e;
	submit(e);
	q.valid = head.q_valid, q.mr = head.q_mr, q.count = head.q_count, q.head = head.q_head, q.tail = head.q_tail;
	if (!q.valid || !bpf_core_field_exists(zdev->pending_errs.err))
		return;
	base = bpf_core_field_offset(zdev->pending_errs.err);
	/* the entries under the header just read: no second read_queue (nor its v12 branch) in this loop */
	for (int k = 0; k < ZT_QUEUE_DEPTH; k++) {
		__u8 slot = (__u8)(q.head + k) % ZT_QUEUE_DEPTH;

		if (k >= q.count)
			break;
		e = reserve(ZT_EV_QUEUED, false);
		if (!e)
			return;
		e->has_fn = 1;
		e->fid = head.fid;
		e->fh = head.fh;
		e->has_pci = head.has_pci;
		e->pci_domain = head.pci_domain;
		e->pci_bus = head.pci_bus;
		e->pci_devfn = head.pci_devfn;
		put_queue(e, &q);
		e->has_slot = 1;
		e->slot = slot;
		put_ccdf(e, (void *)zdev + base + slot * sizeof(struct zpci_ccdf_err));
		submit(e);
	}
}

/* the uAPI the feature hook is relocated against, for the loader (run once at load): 1 merged ({data}), 2 v12
 * ({version, pending_errors, pec}), 0 not described */
__u32 uapi_form = 0;

SEC("syscall")
int which_uapi(void *ctx)
{
	uapi_form = bpf_core_field_exists(((struct vfio_device_feature_zpci_err *)0)->data) ? 1 : uapi_v12() ? 2 : 0;
	return 0;
}

SEC("raw_tp")
int read_queues(void *ctx)
{
	__u64 pos = snap_pos;
	__u64 next = 0;

	if (snap_done || !zpci_list_addr) {
		snap_done = 1;
		return 0;
	}
	if (!pos) /* the first run: the list head's next */
		bpf_probe_read_kernel(&pos, sizeof(pos), (void *)zpci_list_addr);
	if (!pos || pos == zpci_list_addr) {
		snap_done = 1;
		return 0;
	}
	snapshot_function((struct zpci_dev *)(pos - bpf_core_field_offset(struct zpci_dev, entry)));
	bpf_probe_read_kernel(&next, sizeof(next), (void *)pos); /* entry.next: first in struct list_head */
	snap_pos = next;
	if (!next || next == zpci_list_addr)
		snap_done = 1;
	return 0;
}

/* ---- the programs: fentry/fexit (JIT kernels), kprobe/kretprobe (everywhere) and their _jit twins (kprobes on a
 * JIT kernel: reading through bpf_core_cast, as fentry does; see KREAD) ------------------------------------------ */

SEC("fentry/zpci_event_error")
int BPF_PROG(fentry_event_error, void *data) { return on_event_error_enter(data, true); }
SEC("fexit/zpci_event_error")
int BPF_PROG(fexit_event_error, void *data) { return on_event_error_exit(true); }
SEC("kprobe/zpci_event_error")
int BPF_KPROBE(kprobe_event_error, void *data) { return on_event_error_enter(data, false); }
SEC("kprobe/zpci_event_error")
int BPF_KPROBE(kprobe_event_error_jit, void *data) { return on_event_error_enter(data, true); }
SEC("kretprobe/zpci_event_error")
int BPF_KRETPROBE(kretprobe_event_error) { return on_event_error_exit(false); }
SEC("kretprobe/zpci_event_error")
int BPF_KRETPROBE(kretprobe_event_error_jit) { return on_event_error_exit(true); }

SEC("fentry/zpci_store_pci_error")
int BPF_PROG(fentry_store, struct pci_dev *pdev, struct zpci_ccdf_err *ccdf)
{
	return on_store_enter(pdev, ccdf, true);
}
SEC("fexit/zpci_store_pci_error")
int BPF_PROG(fexit_store, struct pci_dev *pdev, struct zpci_ccdf_err *ccdf, int ret)
{
	return on_store_exit(ret, true);
}
SEC("kprobe/zpci_store_pci_error")
int BPF_KPROBE(kprobe_store, struct pci_dev *pdev, struct zpci_ccdf_err *ccdf)
{
	return on_store_enter(pdev, ccdf, false);
}
SEC("kprobe/zpci_store_pci_error")
int BPF_KPROBE(kprobe_store_jit, struct pci_dev *pdev, struct zpci_ccdf_err *ccdf)
{
	return on_store_enter(pdev, ccdf, true);
}
SEC("kretprobe/zpci_store_pci_error")
int BPF_KRETPROBE(kretprobe_store, int ret) { return on_store_exit(ret, false); }
SEC("kretprobe/zpci_store_pci_error")
int BPF_KRETPROBE(kretprobe_store_jit, int ret) { return on_store_exit(ret, true); }

SEC("fentry/vfio_pci_core_aer_err_detected")
int BPF_PROG(fentry_notify, struct pci_dev *pdev, unsigned int state) { return on_notify_enter(pdev, state, true); }
SEC("kprobe/vfio_pci_core_aer_err_detected")
int BPF_KPROBE(kprobe_notify, struct pci_dev *pdev, unsigned int state) { return on_notify_enter(pdev, state, false); }
SEC("kprobe/vfio_pci_core_aer_err_detected")
int BPF_KPROBE(kprobe_notify_jit, struct pci_dev *pdev, unsigned int state)
{
	return on_notify_enter(pdev, state, true);
}

SEC("fentry/vfio_pci_zdev_feature_err")
int BPF_PROG(fentry_feature, struct vfio_device *device, __u32 flags, void *arg)
{
	return on_feature_enter(device, flags, arg, true);
}
SEC("fexit/vfio_pci_zdev_feature_err")
int BPF_PROG(fexit_feature, struct vfio_device *device, __u32 flags, void *arg, size_t argsz, int ret)
{
	return on_feature_exit(ret, true);
}
SEC("kprobe/vfio_pci_zdev_feature_err")
int BPF_KPROBE(kprobe_feature, struct vfio_device *device, __u32 flags, void *arg)
{
	return on_feature_enter(device, flags, arg, false);
}
SEC("kprobe/vfio_pci_zdev_feature_err")
int BPF_KPROBE(kprobe_feature_jit, struct vfio_device *device, __u32 flags, void *arg)
{
	return on_feature_enter(device, flags, arg, true);
}
SEC("kretprobe/vfio_pci_zdev_feature_err")
int BPF_KRETPROBE(kretprobe_feature, int ret) { return on_feature_exit(ret, false); }
SEC("kretprobe/vfio_pci_zdev_feature_err")
int BPF_KRETPROBE(kretprobe_feature_jit, int ret) { return on_feature_exit(ret, true); }

SEC("fentry/zpci_get_pending_error")
int BPF_PROG(fentry_get, struct zpci_dev *zdev, struct zpci_ccdf_err *ccdf) { return on_get_enter(zdev, ccdf, true); }
SEC("fexit/zpci_get_pending_error")
int BPF_PROG(fexit_get, struct zpci_dev *zdev, struct zpci_ccdf_err *ccdf, int ret) { return on_get_exit(ret, true); }
SEC("kprobe/zpci_get_pending_error")
int BPF_KPROBE(kprobe_get, struct zpci_dev *zdev, struct zpci_ccdf_err *ccdf)
{
	return on_get_enter(zdev, ccdf, false);
}
SEC("kprobe/zpci_get_pending_error")
int BPF_KPROBE(kprobe_get_jit, struct zpci_dev *zdev, struct zpci_ccdf_err *ccdf)
{
	return on_get_enter(zdev, ccdf, true);
}
SEC("kretprobe/zpci_get_pending_error")
int BPF_KRETPROBE(kretprobe_get, int ret) { return on_get_exit(ret, false); }
SEC("kretprobe/zpci_get_pending_error")
int BPF_KRETPROBE(kretprobe_get_jit, int ret) { return on_get_exit(ret, true); }

SEC("fentry/zpci_start_mediated_recovery")
int BPF_PROG(fentry_start, struct zpci_dev *zdev) { return on_lifecycle_enter(ZT_HOOK_START, zdev, true); }
SEC("fexit/zpci_start_mediated_recovery")
int BPF_PROG(fexit_start, struct zpci_dev *zdev) { return on_lifecycle_exit(ZT_HOOK_START, ZT_EV_OPEN, 0, true); }
SEC("kprobe/zpci_start_mediated_recovery")
int BPF_KPROBE(kprobe_start, struct zpci_dev *zdev) { return on_lifecycle_enter(ZT_HOOK_START, zdev, false); }
SEC("kprobe/zpci_start_mediated_recovery")
int BPF_KPROBE(kprobe_start_jit, struct zpci_dev *zdev) { return on_lifecycle_enter(ZT_HOOK_START, zdev, true); }
SEC("kretprobe/zpci_start_mediated_recovery")
int BPF_KRETPROBE(kretprobe_start) { return on_lifecycle_exit(ZT_HOOK_START, ZT_EV_OPEN, 0, false); }
SEC("kretprobe/zpci_start_mediated_recovery")
int BPF_KRETPROBE(kretprobe_start_jit) { return on_lifecycle_exit(ZT_HOOK_START, ZT_EV_OPEN, 0, true); }

SEC("fentry/zpci_stop_mediated_recovery")
int BPF_PROG(fentry_stop, struct zpci_dev *zdev) { return on_lifecycle_enter(ZT_HOOK_STOP, zdev, true); }
SEC("fexit/zpci_stop_mediated_recovery")
int BPF_PROG(fexit_stop, struct zpci_dev *zdev) { return on_lifecycle_exit(ZT_HOOK_STOP, ZT_EV_CLOSE, 0, true); }
SEC("kprobe/zpci_stop_mediated_recovery")
int BPF_KPROBE(kprobe_stop, struct zpci_dev *zdev) { return on_lifecycle_enter(ZT_HOOK_STOP, zdev, false); }
SEC("kprobe/zpci_stop_mediated_recovery")
int BPF_KPROBE(kprobe_stop_jit, struct zpci_dev *zdev) { return on_lifecycle_enter(ZT_HOOK_STOP, zdev, true); }
SEC("kretprobe/zpci_stop_mediated_recovery")
int BPF_KRETPROBE(kretprobe_stop) { return on_lifecycle_exit(ZT_HOOK_STOP, ZT_EV_CLOSE, 0, false); }
SEC("kretprobe/zpci_stop_mediated_recovery")
int BPF_KRETPROBE(kretprobe_stop_jit) { return on_lifecycle_exit(ZT_HOOK_STOP, ZT_EV_CLOSE, 0, true); }

SEC("fentry/zpci_event_availability")
int BPF_PROG(fentry_avail, void *data) { return on_avail_enter(data, true); }
SEC("kprobe/zpci_event_availability")
int BPF_KPROBE(kprobe_avail, void *data) { return on_avail_enter(data, false); }
SEC("kprobe/zpci_event_availability")
int BPF_KPROBE(kprobe_avail_jit, void *data) { return on_avail_enter(data, true); }

/* int zpci_hot_reset_device(struct zpci_dev *zdev): VFIO_DEVICE_RESET and host recovery end here */
SEC("fentry/zpci_hot_reset_device")
int BPF_PROG(fentry_reset, struct zpci_dev *zdev) { return on_lifecycle_enter(ZT_HOOK_RESET, zdev, true); }
SEC("fexit/zpci_hot_reset_device")
int BPF_PROG(fexit_reset, struct zpci_dev *zdev, int ret)
{
	return on_lifecycle_exit(ZT_HOOK_RESET, ZT_EV_RESET, ret, true);
}
SEC("kprobe/zpci_hot_reset_device")
int BPF_KPROBE(kprobe_reset, struct zpci_dev *zdev) { return on_lifecycle_enter(ZT_HOOK_RESET, zdev, false); }
SEC("kprobe/zpci_hot_reset_device")
int BPF_KPROBE(kprobe_reset_jit, struct zpci_dev *zdev) { return on_lifecycle_enter(ZT_HOOK_RESET, zdev, true); }
SEC("kretprobe/zpci_hot_reset_device")
int BPF_KRETPROBE(kretprobe_reset, int ret) { return on_lifecycle_exit(ZT_HOOK_RESET, ZT_EV_RESET, ret, false); }
SEC("kretprobe/zpci_hot_reset_device")
int BPF_KRETPROBE(kretprobe_reset_jit, int ret) { return on_lifecycle_exit(ZT_HOOK_RESET, ZT_EV_RESET, ret, true); }
