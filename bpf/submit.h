/* SPDX-License-Identifier: GPL-2.0 */
/* How zpcitrace hands a record to user space: wake the loader for the first record after a quiet spell;
 * in a storm, let it poll instead of paying a wakeup (and a syscall) per record. The loader keeps polling
 * every ZT_WAKEUP_INTERVAL_NS while records come (zt_submit). The exporter wakes even less (zt_submit_lazy).
 * Shared with the storm benchmark. */
#ifndef ZPCITRACE_SUBMIT_H
#define ZPCITRACE_SUBMIT_H

#define ZT_WAKEUP_INTERVAL_NS (10 * 1000 * 1000)

static __always_inline void zt_submit(void *rec, __u64 now, __u64 *last_wakeup_ns)
{
	if (now - *last_wakeup_ns >= ZT_WAKEUP_INTERVAL_NS) {
		*last_wakeup_ns = now;
		bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
	} else {
		bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
	}
}

/* The exporter (--prom) reads the ring buffer at each export: a wakeup, which runs in the traced thread
 * inside the program, only when the buffer of size bytes is half full. */
static __always_inline void zt_submit_lazy(void *rec, void *ringbuf, __u64 size)
{
	int room = bpf_ringbuf_query(ringbuf, BPF_RB_AVAIL_DATA) < size / 2;

	bpf_ringbuf_submit(rec, room ? BPF_RB_NO_WAKEUP : BPF_RB_FORCE_WAKEUP);
}

#endif
