// SPDX-License-Identifier: GPL-2.0
/* zpcitrace: the zPCI error-event path of Linux >= 7.3 (s390x "Error recovery for vfio-pci devices").
 *
 * arrival  kprobe zpci_event_error(void *ccdf)             the platform reported an error (kmcheck kthread)
 * feature  k(ret)probe vfio_pci_zdev_feature_err()          VFIO_DEVICE_FEATURE ZPCI_ERROR (ioctl caller)
 *          k(ret)probe zpci_get_pending_error(zdev, ccdf)   the dequeue inside it: result, CCDF, queue after
 *
 * kretprobes see no arguments, so entry probes stash them per thread. Queue state is read at return,
 * after the kernel dropped pending_errs_lock: values read at entry would be unlocked snapshots. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "zpcitrace.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* what the entry probes of one feature ioctl leave for the return probes, per thread */
struct feature_call {
	__u64 zdev;
	__u64 ccdf;     /* zpci_get_pending_error's output buffer (on the caller's stack) */
	__u32 flags;
	__s32 get_ret;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct feature_call);
} feature_calls SEC(".maps");

/* ring buffer reserve failures: events the loader never saw */
__u64 ringbuf_drops = 0;

/* v12 of the series kept mediated_recovery in struct zpci_dev; the merged form moved it into pending_errs */
struct zpci_dev___v12 {
	bool mediated_recovery;
};

static __always_inline struct zt_event *reserve(__u32 type)
{
	struct zt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!e) {
		__sync_fetch_and_add(&ringbuf_drops, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->type = type;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->get_ret = ZT_NOT_CALLED;
	return e;
}

static __always_inline void read_function(struct zt_event *e, struct zpci_dev *zdev)
{
	if (!zdev)
		return;
	e->has_fn = 1;
	e->fid = BPF_CORE_READ(zdev, fid);
	e->fh = BPF_CORE_READ(zdev, fh);
}

static __always_inline void read_queue(struct zt_event *e, struct zpci_dev *zdev)
{
	if (!zdev || !bpf_core_field_exists(zdev->pending_errs))
		return;
	e->q_valid = 1;
	e->q_count = BPF_CORE_READ(zdev, pending_errs.count);
	e->q_head = BPF_CORE_READ(zdev, pending_errs.head);
	e->q_tail = BPF_CORE_READ(zdev, pending_errs.tail);
	if (bpf_core_field_exists(zdev->pending_errs.mediated_recovery))
		e->q_mr = BPF_CORE_READ(zdev, pending_errs.mediated_recovery);
	else if (bpf_core_field_exists(((struct zpci_dev___v12 *)zdev)->mediated_recovery))
		e->q_mr = BPF_CORE_READ((struct zpci_dev___v12 *)zdev, mediated_recovery);
}

/* to_zpci(): ((struct zpci_bus *)pdev->sysdata)->function[pdev->devfn] */
static __always_inline struct zpci_dev *pdev_to_zdev(struct pci_dev *pdev)
{
	struct zpci_bus *zbus = BPF_CORE_READ(pdev, sysdata);
	unsigned int devfn = BPF_CORE_READ(pdev, devfn) & 0xff;
	struct zpci_dev *zdev = NULL;

	if (!zbus)
		return NULL;
	bpf_core_read(&zdev, sizeof(zdev), &zbus->function[devfn]);
	return zdev;
}

/* container_of(device, struct vfio_pci_core_device, vdev), then to_zpci(vdev->pdev) */
static __always_inline struct zpci_dev *vfio_device_to_zdev(struct vfio_device *device)
{
	struct vfio_pci_core_device *core;

	core = (void *)device - bpf_core_field_offset(struct vfio_pci_core_device, vdev);
	return pdev_to_zdev(BPF_CORE_READ(core, pdev));
}

/* void zpci_event_error(void *data): data is the struct zpci_ccdf_err the platform stored */
SEC("kprobe/zpci_event_error")
int BPF_KPROBE(arrival, void *data)
{
	struct zpci_ccdf_err *ccdf = data;
	struct zt_event *e = reserve(ZT_EV_ARRIVAL);

	if (!e)
		return 0;
	e->has_fn = 1;
	e->fid = BPF_CORE_READ(ccdf, fid);
	e->fh = BPF_CORE_READ(ccdf, fh);
	e->has_ccdf = 1;
	bpf_probe_read_kernel(e->ccdf, sizeof(e->ccdf), ccdf);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* int vfio_pci_zdev_feature_err(struct vfio_device *device, u32 flags, void __user *arg, size_t argsz) */
SEC("kprobe/vfio_pci_zdev_feature_err")
int BPF_KPROBE(feature_enter, struct vfio_device *device, __u32 flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct feature_call call = {
		.zdev = (__u64)vfio_device_to_zdev(device),
		.flags = flags,
		.get_ret = ZT_NOT_CALLED,
	};

	bpf_map_update_elem(&feature_calls, &tid, &call, BPF_ANY);
	return 0;
}

/* int zpci_get_pending_error(struct zpci_dev *zdev, struct zpci_ccdf_err *ccdf) */
SEC("kprobe/zpci_get_pending_error")
int BPF_KPROBE(dequeue_enter, struct zpci_dev *zdev, struct zpci_ccdf_err *ccdf)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct feature_call *call = bpf_map_lookup_elem(&feature_calls, &tid);

	if (call) {
		call->zdev = (__u64)zdev;
		call->ccdf = (__u64)ccdf;
	}
	return 0;
}

SEC("kretprobe/zpci_get_pending_error")
int BPF_KRETPROBE(dequeue_exit, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct feature_call *call = bpf_map_lookup_elem(&feature_calls, &tid);

	if (call)
		call->get_ret = ret;
	return 0;
}

SEC("kretprobe/vfio_pci_zdev_feature_err")
int BPF_KRETPROBE(feature_exit, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct feature_call *call = bpf_map_lookup_elem(&feature_calls, &tid);
	struct zpci_dev *zdev;
	struct zt_event *e;

	if (!call)
		return 0; /* tracing started inside this call */
	zdev = (struct zpci_dev *)call->zdev;
	e = reserve(ZT_EV_FEATURE);
	if (e) {
		e->ret = ret;
		e->get_ret = call->get_ret;
		e->flags = call->flags;
		read_function(e, zdev);
		read_queue(e, zdev);
		/* the dequeued CCDF is still in the caller's buffer, even when copy_to_user then failed */
		if (call->get_ret == 0 && call->ccdf) {
			e->has_ccdf = 1;
			bpf_probe_read_kernel(e->ccdf, sizeof(e->ccdf), (void *)call->ccdf);
		}
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&feature_calls, &tid);
	return 0;
}
