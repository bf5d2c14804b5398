/* SPDX-License-Identifier: GPL-2.0 */
/* Latency series: a count, a log2 histogram of ns, the fixed buckets exporters use, and the exact samples while
 * they fit (nearest-rank quantiles). */
#ifndef ZPCITRACE_HIST_H
#define ZPCITRACE_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZT_HIST_SLOTS 64
/* latencies kept exactly up to this many per series; beyond, quantiles come from the log2 histogram */
#define ZT_HIST_EXACT_MAX 65536

/* fixed upper bounds in seconds, for exporters (Prometheus histogram buckets) */
#define ZT_NR_BOUNDS 15
extern const double zt_bounds_s[ZT_NR_BOUNDS];

/* a latency series: count, log2 histogram of ns, exact samples while they fit */
struct zt_hist {
	uint64_t count, sum_ns, min_ns, max_ns;
	uint64_t slots[ZT_HIST_SLOTS]; /* slot i: [2^i, 2^(i+1)) ns; slot 0 also holds 0 */
	uint64_t bounded[ZT_NR_BOUNDS]; /* samples <= zt_bounds_s[i] and > the bound before */
	uint64_t *samples;
	size_t nsamples, cap;
	bool sorted;
};

void zt_hist_add(struct zt_hist *h, uint64_t ns);
/* nearest-rank quantile, q in [0, 1]: the smallest sample with at least q of all samples <= it.
 * Exact while count <= ZT_HIST_EXACT_MAX, else the upper bound of the histogram slot. 0 when empty. */
uint64_t zt_hist_quantile(struct zt_hist *h, double q);
void zt_hist_free(struct zt_hist *h);

#endif
