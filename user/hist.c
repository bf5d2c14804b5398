// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "hist.h"

const double zt_bounds_s[ZT_NR_BOUNDS] = { 1e-5, 1e-4, 1e-3, 0.01, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800 };

static int log2_slot(uint64_t v)
{
	int s = 0;

	while (v > 1 && s < ZT_HIST_SLOTS - 1) {
		v >>= 1;
		s++;
	}
	return s;
}

void zt_hist_add(struct zt_hist *h, uint64_t ns)
{
	if (!h->count || ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->count++;
	h->sum_ns += ns;
	h->slots[log2_slot(ns)]++;
	for (int i = 0; i < ZT_NR_BOUNDS; i++)
		if ((double)ns <= zt_bounds_s[i] * 1e9) {
			h->bounded[i]++;
			break;
		}
	if (h->nsamples == h->cap && h->cap < ZT_HIST_EXACT_MAX) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		uint64_t *s = realloc(h->samples, cap * sizeof(*s));

		if (s) {
			h->samples = s;
			h->cap = cap;
		}
	}
	if (h->nsamples < h->cap)
		h->samples[h->nsamples++] = ns;
	h->sorted = false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t zt_hist_quantile(struct zt_hist *h, double q)
{
	uint64_t rank;

	if (!h->count)
		return 0;
	if (q <= 0)
		return h->min_ns;
	if (q >= 1)
		return h->max_ns;
	/* nearest rank: the ceil(q * n)-th smallest sample */
	rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;
	if (rank < 1)
		rank = 1;
	if (h->nsamples == h->count) {
		if (!h->sorted) {
			qsort(h->samples, h->nsamples, sizeof(*h->samples), cmp_u64);
			h->sorted = true;
		}
		return h->samples[rank - 1];
	}
	uint64_t seen = 0;

	for (int s = 0; s < ZT_HIST_SLOTS; s++) {
		seen += h->slots[s];
		if (seen >= rank) {
			uint64_t upper = s >= 63 ? UINT64_MAX : (2ull << s) - 1;
			return upper < h->max_ns ? upper : h->max_ns;
		}
	}
	return h->max_ns;
}

void zt_hist_free(struct zt_hist *h)
{
	free(h->samples);
	memset(h, 0, sizeof(*h));
}
