/* SPDX-License-Identifier: GPL-2.0 */
/* The one event record zpcitrace's BPF programs put in the ring buffer, shared by bpf/ and user/. */
#ifndef ZT_EVENT_H
#define ZT_EVENT_H

#define ZT_COMM_LEN 16
#define ZT_CCDF_LEN 32
#define ZT_QUEUE_DEPTH 4 /* ZPCI_ERR_PENDING_MAX */
/* get_ret when zpci_get_pending_error was not called (probe, bad argument, no zdev) */
#define ZT_NOT_CALLED 1

/* The kernel functions zpcitrace hooks (the loader's table in user/hooks.c follows this order). */
enum zt_hook {
	ZT_HOOK_EVENT_ERROR, /* zpci_event_error: arrival; derived enqueue outcome */
	ZT_HOOK_STORE,       /* zpci_store_pci_error: enqueue outcome */
	ZT_HOOK_NOTIFY,      /* vfio_pci_core_aer_err_detected: eventfd to the VMM */
	ZT_HOOK_FEATURE,     /* vfio_pci_zdev_feature_err: VFIO_DEVICE_FEATURE ZPCI_ERROR */
	ZT_HOOK_GET,         /* zpci_get_pending_error: the dequeue */
	ZT_HOOK_START,       /* zpci_start_mediated_recovery: vfio opened the function */
	ZT_HOOK_STOP,        /* zpci_stop_mediated_recovery: vfio closed it; the queue is discarded */
	ZT_HOOK_AVAIL,       /* zpci_event_availability: configuration / hot-plug events */
	ZT_HOOK_RESET,       /* zpci_hot_reset_device: the zPCI reset that ends a recovery */
	ZT_NR_HOOKS,
};

enum zt_event_type {
	ZT_EV_ARRIVAL = 1, /* the platform reported an error for a function */
	ZT_EV_ENQUEUE,     /* what became of it: stored, dropped (queue full), not stored */
	ZT_EV_NOTIFY,      /* vfio-pci signalled the VMM's error eventfd */
	ZT_EV_FEATURE,     /* VFIO_DEVICE_FEATURE ZPCI_ERROR returned: dequeue, probe or other */
	ZT_EV_OPEN,        /* mediated recovery started (vfio opened the function) */
	ZT_EV_CLOSE,       /* mediated recovery stopped; queued errors discarded */
	ZT_EV_AVAIL,       /* availability (hot-plug) event */
	ZT_EV_RESET,       /* zPCI function reset */
	ZT_EV_QUEUE,       /* a function's queue as read at start (read_queues): mr, count, head, tail */
	ZT_EV_QUEUED,      /* an error found in a queue at start, with its slot and CCDF: queued before the start */
	ZT_EV_LAST = ZT_EV_QUEUED,
};

enum zt_enqueue_result {
	ZT_ENQ_UNKNOWN,
	ZT_ENQ_STORED,       /* in the queue, at slot */
	ZT_ENQ_DROPPED_FULL, /* the queue held ZT_QUEUE_DEPTH errors: the newest is dropped */
	ZT_ENQ_NOT_STORED,   /* mediated recovery is off: the host recovers the function itself */
};

struct zt_event {
	__u64 ts_ns;   /* bpf_ktime_get_ns() */
	__u32 type;    /* enum zt_event_type */
	__u32 cpu;
	__u32 pid;     /* tgid of the task the step ran in */
	__u32 tid;
	char comm[ZT_COMM_LEN];
	__u32 fid;     /* the function: from the CCDF for arrivals and availability, from the zdev otherwise */
	__u32 fh;
	__u32 pci_domain; /* PCI address, when has_pci */
	__s32 ret;     /* feature, enqueue (store hook), reset: the function's result */
	__s32 get_ret; /* feature: zpci_get_pending_error()'s result, or ZT_NOT_CALLED; v12 (inline dequeue): 0
			* when the call took an entry, -ENOMSG when it answered an empty queue */
	__u32 flags;   /* feature: VFIO_DEVICE_FEATURE flags */
	__u32 state;   /* notify: pci_channel_state_t */
	__u16 discarded; /* close: errors in the queue when it was discarded */
	__u16 v12_pec;   /* feature, v12 uAPI: the PEC the kernel answered (0: none, or the answer was not written) */
	__u8 pci_bus;
	__u8 pci_devfn;
	__u8 has_fn;   /* fid/fh are known */
	__u8 has_pci;
	__u8 has_ccdf; /* ccdf holds the error: arrival, enqueue, or a dequeue that took one */
	__u8 q_valid;  /* q_* hold zdev->pending_errs as read after the step */
	__u8 q_mr;     /* mediated_recovery */
	__u8 q_count;
	__u8 q_head;
	__u8 q_tail;
	__u8 result;   /* enqueue: enum zt_enqueue_result */
	__u8 slot;     /* enqueue (stored), dequeue (taken): queue slot, when has_slot */
	__u8 has_slot;
	__u8 derived;  /* enqueue: result derived from the queue state around the arrival, not the store hook */
	__u8 v12;      /* feature: the kernel speaks the v12 uAPI (feature 12, {version, pending_errors, pec}) */
	__u8 via_get;  /* feature: a dequeue traced at zpci_get_pending_error alone (no vfio_pci_core hook around it):
			* ret is its result; the ioctl's result and caller arguments are unknown */
	__u8 pad[2];
	__u8 ccdf[ZT_CCDF_LEN]; /* struct zpci_ccdf_err (or _avail) as the kernel holds it (big-endian) */
};

#endif
