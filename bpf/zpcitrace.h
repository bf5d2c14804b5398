/* SPDX-License-Identifier: GPL-2.0 */
/* The one event record zpcitrace's BPF programs put in the ring buffer, shared by bpf/ and user/. */
#ifndef ZPCITRACE_H
#define ZPCITRACE_H

#define ZT_COMM_LEN 16
#define ZT_RAW_CCDF_LEN 32
/* get_ret when zpci_get_pending_error was not called (probe, bad argument, no zdev) */
#define ZT_NOT_CALLED 1

enum zt_event_type {
	ZT_EV_ARRIVAL = 1, /* zpci_event_error(): the platform reported an error for a function */
	ZT_EV_FEATURE = 2, /* vfio_pci_zdev_feature_err() returned: VFIO_DEVICE_FEATURE ZPCI_ERROR */
};

struct zt_event {
	__u64 ts_ns;   /* bpf_ktime_get_ns() */
	__u32 type;    /* enum zt_event_type */
	__u32 cpu;
	__u32 pid;     /* tgid of the task the step ran in */
	__u32 tid;
	char comm[ZT_COMM_LEN];
	__u32 fid;     /* the function: from the CCDF for arrivals, from the zdev otherwise */
	__u32 fh;
	__s32 ret;     /* feature: the ioctl's result (0 or -errno) */
	__s32 get_ret; /* feature: zpci_get_pending_error()'s result, or ZT_NOT_CALLED */
	__u32 flags;   /* feature: VFIO_DEVICE_FEATURE flags */
	__u8 has_fn;   /* fid/fh are known */
	__u8 has_ccdf; /* ccdf holds the error: arrival, or a dequeue that took one */
	__u8 q_valid;  /* q_* hold zdev->pending_errs as read after the step */
	__u8 q_mr;     /* mediated_recovery */
	__u8 q_count;
	__u8 q_head;
	__u8 q_tail;
	__u8 pad;
	__u8 ccdf[ZT_RAW_CCDF_LEN]; /* struct zpci_ccdf_err as the kernel holds it (big-endian) */
};

#endif
