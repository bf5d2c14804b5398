// SPDX-License-Identifier: GPL-2.0
/* Storm producer for the host benchmark: emits zpcitrace's own event records (arrival, stored, dequeue per
 * function, cycling through many functions, queue counters consistent so the correlator matches them) as
 * fast as bpf_loop goes, through zpcitrace's own submit policy. Driven by BPF_PROG_TEST_RUN. */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include "zt_event.h"
#include "submit.h"
#include "storm.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024 * 1024);
} events SEC(".maps");

const volatile __u32 nfns = 64;
__u64 produced = 0, drops = 0, next = 0;

static long emit(__u32 i, void *ctx)
{
	__u64 n = next + i;
	__u32 fid = n % nfns, step = (n / nfns) % 3;
	__u8 cycle = (__u8)(n / nfns / 3);
	struct zt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&drops, 1);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->has_fn = 1;
	e->fid = fid;
	e->fh = 0x80000000 | fid;
	e->get_ret = ZT_NOT_CALLED;
	e->q_valid = 1;
	e->q_mr = 1;
	e->pid = 4242;
	e->has_ccdf = step != 2;
	e->ccdf[11] = (__u8)fid; /* fid in the CCDF, PEC 0x0004 */
	e->ccdf[31] = 4;
	if (step == 0) {
		e->type = ZT_EV_ARRIVAL;
		e->q_head = e->q_tail = cycle;
	} else if (step == 1) {
		e->type = ZT_EV_ENQUEUE;
		e->result = ZT_ENQ_STORED;
		e->has_slot = 1;
		e->slot = cycle % ZT_QUEUE_DEPTH;
		e->q_count = 1;
		e->q_head = cycle;
		e->q_tail = cycle + 1;
	} else {
		e->type = ZT_EV_FEATURE;
		e->flags = (1 << 16) | 13; /* VFIO_DEVICE_FEATURE_GET | ZPCI_ERROR */
		e->get_ret = 0;
		e->has_slot = 1;
		e->slot = cycle % ZT_QUEUE_DEPTH;
		e->q_head = e->q_tail = cycle + 1;
		e->has_ccdf = 1;
	}
	zt_submit(e, &events, 64 * 1024 * 1024);
	__sync_fetch_and_add(&produced, 1);
	return 0;
}

SEC("raw_tp")
int storm(void *ctx)
{
	bpf_loop(STORM_BATCH, emit, NULL, 0);
	next += STORM_BATCH;
	return 0;
}
