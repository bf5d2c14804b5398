/* SPDX-License-Identifier: GPL-2.0 */
/* How zpcitrace hands a record to user space. A wakeup runs in the traced thread, inside the program (the
 * irq_work, and with fexit, which runs preemptible, maybe the woken loader itself): it costs the traced kernel
 * path more than the rest of the program. So the programs never wake the loader for a record, only when the
 * buffer of size bytes is half full, to make room; the loader polls instead (user/zpcitrace.c: every 100 ms in
 * the live view, 1 s when recording, at each export with --prom; every 10 ms while records come).
 * Shared with the storm benchmark. */
#ifndef ZPCITRACE_SUBMIT_H
#define ZPCITRACE_SUBMIT_H

static __always_inline void zt_submit(void *rec, void *ringbuf, __u64 size)
{
	int room = bpf_ringbuf_query(ringbuf, BPF_RB_AVAIL_DATA) < size / 2;

	bpf_ringbuf_submit(rec, room ? BPF_RB_NO_WAKEUP : BPF_RB_FORCE_WAKEUP);
}

#endif
